import { useEffect, useState, type SyntheticEvent } from 'react';
import type { Settings } from '../../api';
import { CheckboxField, Field, type FieldErrors } from '../../components/Field';
import { IpListField } from '../../components/IpListField';
import { Notice } from '../../components/States';
import { formatRate } from '../../format';
import { checkIpList } from '../../ip';
import {
  asStringList,
  helpText,
  numText,
  parseInteger,
  SaveBar,
  useSettingsSave,
  type SettingsTabProps,
} from './settingsForm';

interface Draft {
  basicPasswords: boolean;
  requireAuthentication: boolean;
  allowedIps: string;
  trustedProxies: string;
  rateEnabled: boolean;
  rateRequests: string;
  rateWindow: string;
}

function draftOf(s: Settings): Draft {
  return {
    basicPasswords: s['auth.basicPasswords'] === true,
    requireAuthentication: s['auth.requireAuthentication'] === true,
    allowedIps: asStringList(s['auth.allowedIps']).join('\n'),
    trustedProxies: asStringList(s['auth.trustedProxies']).join('\n'),
    rateEnabled: s['rateLimit.enabled'] === true,
    rateRequests: numText(s['rateLimit.requests']),
    rateWindow: numText(s['rateLimit.windowSeconds']),
  };
}

function valuesOf(d: Draft): { values: Settings; problems: FieldErrors } {
  const problems: FieldErrors = {};
  const values: Settings = {
    'auth.basicPasswords': d.basicPasswords,
    'auth.requireAuthentication': d.requireAuthentication,
    'rateLimit.enabled': d.rateEnabled,
  };
  const allowed = checkIpList(d.allowedIps);
  if (allowed.errors.length > 0) problems['auth.allowedIps'] = allowed.errors.join(' ');
  values['auth.allowedIps'] = allowed.entries;
  const proxies = checkIpList(d.trustedProxies);
  if (proxies.errors.length > 0) problems['auth.trustedProxies'] = proxies.errors.join(' ');
  values['auth.trustedProxies'] = proxies.entries;
  const req = parseInteger(d.rateRequests, 1, 1_000_000);
  if ('error' in req) problems['rateLimit.requests'] = req.error;
  else values['rateLimit.requests'] = req.value;
  const win = parseInteger(d.rateWindow, 1, 86_400);
  if ('error' in win) problems['rateLimit.windowSeconds'] = win.error;
  else values['rateLimit.windowSeconds'] = win.value;
  return { values, problems };
}

/** Password Basic auth, IP restrictions, trusted proxies, anonymous access and rate limiting. */
export function AuthenticationTab(props: SettingsTabProps) {
  const { settings, schema } = props;
  const [draft, setDraft] = useState(() => draftOf(settings));
  useEffect(() => setDraft(draftOf(settings)), [settings]);
  const { errors, notice, busy, save, changedKeys } = useSettingsSave(props);
  const { values, problems } = valuesOf(draft);
  const dirty = Object.keys(problems).length > 0 || changedKeys(values).length > 0;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const savedBasic = settings['auth.basicPasswords'] === true;

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    void save(values, problems);
  };

  return (
    <form onSubmit={submit} noValidate className="settings-form" aria-labelledby="tab-title">
      <h2 id="tab-title" className="visually-hidden">
        Authentication
      </h2>
      <fieldset className="card">
        <legend>Passwords in Basic authentication</legend>
        <CheckboxField
          label="Allow Basic authentication with passwords"
          checked={draft.basicPasswords}
          onChange={(v) => set('basicPasswords', v)}
          error={errors['auth.basicPasswords']}
          testId="setting-auth.basicPasswords"
          hint={
            <div className="explain">
              <p>
                <strong>On:</strong> a script may send a user name and password. At the gateway the password
                goes on unchanged to your service, which checks it itself; this management API checks it
                against the tokengate user directory. Tokens work as well.
              </p>
              <p>
                <strong>Off:</strong> only tokens authenticate. A password, or a Bearer value that is not a
                tokengate token, gets <code>401</code> at the gateway, forward-auth, the middleware and the
                API.
              </p>
            </div>
          }
        />
        {draft.basicPasswords !== savedBasic ? (
          <Notice kind="warning" testId="basic-passwords-change">
            {draft.basicPasswords
              ? 'When you save, passwords in Basic authentication are accepted again: the gateway passes them to your service, and the API checks them.'
              : 'When you save, every script and tool that still sends a password stops working at once and gets 401. Make sure they use tokens first.'}
          </Notice>
        ) : null}
        <CheckboxField
          label="Require authentication for every request"
          checked={draft.requireAuthentication}
          onChange={(v) => set('requireAuthentication', v)}
          error={errors['auth.requireAuthentication']}
          testId="setting-auth.requireAuthentication"
          hint="On: a request without credentials gets 401 instead of reaching your service anonymously. Turn it on when your service has no login of its own, and for Git servers, so that Git clients send their token. This management API always requires credentials."
        />
      </fieldset>

      <fieldset className="card">
        <legend>IP addresses</legend>
        <IpListField
          label="Allowed client IPs (global)"
          value={draft.allowedIps}
          onChange={(v) => set('allowedIps', v)}
          serverError={errors['auth.allowedIps']}
          testId="setting-auth.allowedIps"
          hint={
            <>
              {helpText(schema, 'auth.allowedIps') ??
                'Client IPs or CIDR ranges allowed to authenticate at all.'}{' '}
              One per line; empty allows any address. <strong>This applies to you too:</strong> if you lock
              yourself out, run <code>tokengate settings set auth.allowedIps '[]'</code> on the server.
            </>
          }
        />
        <IpListField
          label="Trusted proxies"
          value={draft.trustedProxies}
          onChange={(v) => set('trustedProxies', v)}
          serverError={errors['auth.trustedProxies']}
          testId="setting-auth.trustedProxies"
          placeholder={'One per line, for example:\n10.0.0.5\n10.0.1.0/24'}
          hint={`${helpText(schema, 'auth.trustedProxies') ?? 'Reverse proxies whose X-Forwarded-For is believed.'} The audit log keeps the client as Source IP and the proxy as Proxy IP.`}
        />
      </fieldset>

      <fieldset className="card">
        <legend>Rate limiting</legend>
        <CheckboxField
          label="Limit the request rate of every token"
          checked={draft.rateEnabled}
          onChange={(v) => set('rateEnabled', v)}
          error={errors['rateLimit.enabled']}
          testId="setting-rateLimit.enabled"
          hint={helpText(schema, 'rateLimit.enabled')}
        />
        <div className="inline-fields">
          <Field label="Requests per window" error={errors['rateLimit.requests']}>
            {(p) => (
              <input
                {...p}
                className="input input-narrow"
                inputMode="numeric"
                value={draft.rateRequests}
                onChange={(e) => set('rateRequests', e.target.value)}
                data-testid="setting-rateLimit.requests"
              />
            )}
          </Field>
          <Field label="Window (seconds)" error={errors['rateLimit.windowSeconds']}>
            {(p) => (
              <input
                {...p}
                className="input input-narrow"
                inputMode="numeric"
                value={draft.rateWindow}
                onChange={(e) => set('rateWindow', e.target.value)}
                data-testid="setting-rateLimit.windowSeconds"
              />
            )}
          </Field>
        </div>
        <p className="field-hint" data-testid="rate-summary">
          {typeof values['rateLimit.requests'] === 'number' &&
          typeof values['rateLimit.windowSeconds'] === 'number'
            ? draft.rateEnabled
              ? `Each token may make ${formatRate(values['rateLimit.requests'], values['rateLimit.windowSeconds'])}, unless it has a limit of its own. Over the limit, requests get 429 with Retry-After.`
              : 'Off: only tokens with a limit of their own are limited.'
            : null}
        </p>
      </fieldset>

      <SaveBar busy={busy} dirty={dirty} notice={notice} onReset={() => setDraft(draftOf(settings))} />
    </form>
  );
}
