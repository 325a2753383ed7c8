import { useEffect, useState, type SyntheticEvent } from 'react';
import type { Settings } from '../../api';
import { CheckboxField, Field, type FieldErrors } from '../../components/Field';
import { href } from '../../router';
import {
  helpText,
  numText,
  parseInteger,
  SaveBar,
  splitVolume,
  useSettingsSave,
  type SettingsTabProps,
} from './settingsForm';

/** The selectable authentication events, in the order of how often they happen (most first). */
const EVENTS = [
  { name: 'authSuccess', label: 'Successful token authentications' },
  { name: 'authFailedToken', label: 'Failed token authentications' },
  { name: 'authFailedVerification', label: 'Unknown tokens (failed token verification)' },
  { name: 'permissionDenied', label: 'Permission denied (e.g. a read-only token used to write)' },
  { name: 'rateLimited', label: 'Rate-limited requests' },
] as const;

interface Draft {
  events: Record<string, boolean>;
  retentionDays: string;
  maxRows: string;
}

function draftOf(s: Settings): Draft {
  return {
    events: Object.fromEntries(EVENTS.map((e) => [e.name, s[`audit.events.${e.name}`] === true])),
    retentionDays: numText(s['audit.retentionDays']),
    maxRows: numText(s['audit.maxRows']),
  };
}

function valuesOf(d: Draft): { values: Settings; problems: FieldErrors } {
  const problems: FieldErrors = {};
  const values: Settings = Object.fromEntries(
    EVENTS.map((e) => [`audit.events.${e.name}`, d.events[e.name] === true]),
  );
  const days = parseInteger(d.retentionDays, 1, 36_500);
  if ('error' in days) problems['audit.retentionDays'] = days.error;
  else values['audit.retentionDays'] = days.value;
  const rows = parseInteger(d.maxRows, 1000, 1_000_000_000);
  if ('error' in rows) problems['audit.maxRows'] = rows.error;
  else values['audit.maxRows'] = rows.value;
  return { values, problems };
}

/**
 * Which authentication events the audit log records, each with its volume warning, and how long
 * records are kept. Changes to tokens, users and settings are always recorded.
 */
export function AuditLoggingTab(props: SettingsTabProps) {
  const { settings, schema } = props;
  const [draft, setDraft] = useState(() => draftOf(settings));
  useEffect(() => setDraft(draftOf(settings)), [settings]);
  const { errors, notice, busy, save, changedKeys } = useSettingsSave(props);
  const { values, problems } = valuesOf(draft);
  const dirty = Object.keys(problems).length > 0 || changedKeys(values).length > 0;

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    void save(values, problems);
  };

  return (
    <form onSubmit={submit} noValidate className="settings-form" aria-labelledby="tab-title">
      <h2 id="tab-title" className="visually-hidden">
        Audit logging
      </h2>
      <p className="muted">
        Every change to tokens, users and settings is always recorded, with its real author. Authentication
        events can be added one kind at a time; records appear in the <a href={href('/audit')}>audit log</a>.
      </p>
      <fieldset className="card">
        <legend>Authentication events</legend>
        {EVENTS.map((ev) => {
          const key = `audit.events.${ev.name}`;
          const { about, volume } = splitVolume(helpText(schema, key));
          return (
            <CheckboxField
              key={ev.name}
              label={ev.label}
              checked={draft.events[ev.name] === true}
              onChange={(v) => setDraft((d) => ({ ...d, events: { ...d.events, [ev.name]: v } }))}
              error={errors[key]}
              testId={`audit-event-${ev.name}`}
              hint={
                <>
                  {about ? <span>{about}</span> : null}
                  {volume ? (
                    <span className="volume" data-testid={`audit-volume-${ev.name}`}>
                      <strong>Volume:</strong> {volume}
                    </span>
                  ) : null}
                </>
              }
            />
          );
        })}
      </fieldset>
      <fieldset className="card">
        <legend>Retention</legend>
        <div className="inline-fields">
          <Field
            label="Keep records for (days)"
            error={errors['audit.retentionDays']}
            hint={helpText(schema, 'audit.retentionDays')}
          >
            {(p) => (
              <input
                {...p}
                className="input input-narrow"
                inputMode="numeric"
                value={draft.retentionDays}
                onChange={(e) => setDraft((d) => ({ ...d, retentionDays: e.target.value }))}
                data-testid="setting-audit.retentionDays"
              />
            )}
          </Field>
          <Field
            label="Keep at most (records)"
            error={errors['audit.maxRows']}
            hint={helpText(schema, 'audit.maxRows')}
          >
            {(p) => (
              <input
                {...p}
                className="input input-narrow"
                inputMode="numeric"
                value={draft.maxRows}
                onChange={(e) => setDraft((d) => ({ ...d, maxRows: e.target.value }))}
                data-testid="setting-audit.maxRows"
              />
            )}
          </Field>
        </div>
      </fieldset>
      <SaveBar busy={busy} dirty={dirty} notice={notice} onReset={() => setDraft(draftOf(settings))} />
    </form>
  );
}
