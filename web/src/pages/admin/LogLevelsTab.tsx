import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, LOG_LEVELS, type LogLevel } from '../../api';
import { Field } from '../../components/Field';
import { ErrorState, Loading, Notice } from '../../components/States';
import { useAsync, errorMessage } from '../../useAsync';

/** Loggers tokengate itself uses; others can be added by name. */
const KNOWN_LOGGERS = ['root', 'server', 'api', 'proxy', 'auth', 'auth.filter', 'ratelimit', 'store'];
const LOGGER_NAME = /^(root|[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*)$/;

function parentOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i === -1 ? 'root' : name.slice(0, i);
}

function effective(name: string, levels: Record<string, LogLevel>): LogLevel {
  let n = name;
  for (;;) {
    const own = levels[n];
    if (own) return own;
    if (n === 'root') return 'INFO';
    n = parentOf(n);
  }
}

/** Log levels per logger, stored in the database and applied on every node within about a second. */
export function LogLevelsTab() {
  const levels = useAsync(() => api.logLevels().then((r) => r.levels), []);
  const [rowState, setRowState] = useState<
    Record<string, { kind: 'saving' | 'saved' | 'error'; text?: string }>
  >({});
  const [newName, setNewName] = useState('');
  const [newLevel, setNewLevel] = useState<LogLevel>('INFO');
  const [addError, setAddError] = useState<string | null>(null);

  if (levels.error) return <ErrorState error={levels.error} onRetry={levels.reload} />;
  if (!levels.data) return <Loading label="Loading log levels…" />;
  const current = levels.data;
  const names = [...new Set([...KNOWN_LOGGERS, ...Object.keys(current)])].sort((a, b) =>
    a === 'root' ? -1 : b === 'root' ? 1 : a.localeCompare(b),
  );

  const change = async (logger: string, level: LogLevel | null) => {
    setRowState((s) => ({ ...s, [logger]: { kind: 'saving' } }));
    try {
      const r = await api.setLogLevel(logger, level);
      levels.setData(r.levels);
      setRowState((s) => ({ ...s, [logger]: { kind: 'saved' } }));
      return true;
    } catch (e) {
      setRowState((s) => ({ ...s, [logger]: { kind: 'error', text: errorMessage(e) } }));
      return e;
    }
  };

  const add = async (e: SyntheticEvent) => {
    e.preventDefault();
    const name = newName.trim();
    if (!LOGGER_NAME.test(name) || name.length > 64) {
      setAddError('Use “root” or dotted lower-case words, such as auth.filter.');
      return;
    }
    setAddError(null);
    const r = await change(name, newLevel);
    if (r === true) setNewName('');
    else
      setAddError(r instanceof ApiError && r.fieldProblems[0] ? r.fieldProblems[0].message : errorMessage(r));
  };

  return (
    <div className="settings-form">
      <h2 id="tab-title" className="visually-hidden">
        Log levels
      </h2>
      <p className="muted">
        Changes apply to every node within about a second and survive restarts; there is no file to edit. A
        logger without a level of its own inherits its parent's (<code>auth.filter</code> from{' '}
        <code>auth</code>, then <code>root</code>). Set <code>auth</code> and <code>ratelimit</code> to INFO
        for one line per authentication.
      </p>
      <div className="card">
        <table className="table table-middle" data-testid="loglevel-table">
          <caption className="visually-hidden">Log level per logger</caption>
          <thead>
            <tr>
              <th scope="col">Logger</th>
              <th scope="col">Level</th>
              <th scope="col">In effect</th>
              <th scope="col">
                <span className="visually-hidden">Status</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const own = current[name];
              const state = rowState[name];
              return (
                <tr key={name} data-testid="loglevel-row" data-logger={name}>
                  <th scope="row" className="mono">
                    <label htmlFor={`level-${name}`}>{name}</label>
                  </th>
                  <td>
                    <select
                      id={`level-${name}`}
                      className="input input-narrow"
                      value={own ?? ''}
                      disabled={state?.kind === 'saving'}
                      onChange={(e) =>
                        void change(name, e.target.value === '' ? null : (e.target.value as LogLevel))
                      }
                      data-testid={`loglevel-${name}`}
                    >
                      {name !== 'root' ? (
                        <option value="">Inherit ({effective(parentOf(name), current)})</option>
                      ) : null}
                      {LOG_LEVELS.map((l) => (
                        <option key={l} value={l}>
                          {l}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>
                    <span className="badge badge-neutral">{effective(name, current)}</span>
                  </td>
                  <td aria-live="polite">
                    {state?.kind === 'saving' ? <span className="muted">Saving…</span> : null}
                    {state?.kind === 'saved' ? <span className="text-success">Saved</span> : null}
                    {state?.kind === 'error' ? <span className="field-error">{state.text}</span> : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <form
        className="card inline-form"
        onSubmit={(e) => void add(e)}
        noValidate
        aria-label="Set the level of another logger"
      >
        <Field label="Another logger" error={addError}>
          {(p) => (
            <input
              {...p}
              className="input mono"
              value={newName}
              placeholder="for example proxy.upstream"
              onChange={(e) => setNewName(e.target.value)}
              autoCapitalize="off"
              spellCheck={false}
              data-testid="loglevel-new-name"
            />
          )}
        </Field>
        <Field label="Level">
          {(p) => (
            <select
              {...p}
              className="input input-narrow"
              value={newLevel}
              onChange={(e) => setNewLevel(e.target.value as LogLevel)}
              data-testid="loglevel-new-level"
            >
              {LOG_LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button" data-testid="loglevel-add">
          Set level
        </button>
      </form>
      {Object.values(rowState).some((s) => s.kind === 'error') ? (
        <Notice kind="error">A change was refused; see the table.</Notice>
      ) : null}
    </div>
  );
}
