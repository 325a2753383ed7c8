import { useEffect, useId, useState, type SyntheticEvent } from 'react';
import type { Settings } from '../../api';
import { CheckboxField, Field, type FieldErrors } from '../../components/Field';
import { useSession } from '../../session';
import {
  asStringList,
  helpText,
  numText,
  lines,
  parseInteger,
  SaveBar,
  useSettingsSave,
  type SettingsTabProps,
} from './settingsForm';

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PREFIX = /^[a-z][a-z0-9]{1,15}$/;
const PERMISSIONS = [
  { key: 'permissions.useTokens', label: 'Use tokens', what: 'may authenticate with their tokens' },
  {
    key: 'permissions.createOwnTokens',
    label: 'Create tokens for themselves',
    what: 'may create their own tokens',
  },
  {
    key: 'permissions.manageAllTokens',
    label: 'Manage all tokens',
    what: "may list, create, rotate and revoke every user's tokens in the token manager",
  },
] as const;
type PermissionKey = (typeof PERMISSIONS)[number]['key'];

interface GroupDraft {
  everyone: boolean;
  groups: string;
}

interface Draft {
  hasMax: boolean;
  maxDays: string;
  defaultNever: boolean;
  defaultDays: string;
  maxPerUser: string;
  forceReadOnly: boolean;
  prefix: string;
  readRules: string;
  permissions: Record<PermissionKey, GroupDraft>;
}

function draftOf(s: Settings): Draft {
  const max = s['tokens.maxValidityDays'];
  const def = s['tokens.defaultValidityDays'];
  const perm = (key: PermissionKey): GroupDraft => {
    const list = asStringList(s[key]);
    return { everyone: list.includes('*'), groups: list.filter((g) => g !== '*').join(', ') };
  };
  return {
    hasMax: typeof max === 'number',
    maxDays: typeof max === 'number' ? String(max) : '365',
    defaultNever: def === null,
    defaultDays: typeof def === 'number' ? String(def) : '90',
    maxPerUser: numText(s['tokens.maxPerUser']),
    forceReadOnly: s['tokens.forceReadOnly'] === true,
    prefix: typeof s['tokens.prefix'] === 'string' ? s['tokens.prefix'] : '',
    readRules: asStringList(s['auth.readRules']).join('\n'),
    permissions: {
      'permissions.useTokens': perm('permissions.useTokens'),
      'permissions.createOwnTokens': perm('permissions.createOwnTokens'),
      'permissions.manageAllTokens': perm('permissions.manageAllTokens'),
    },
  };
}

function valuesOf(d: Draft): { values: Settings; problems: FieldErrors } {
  const problems: FieldErrors = {};
  const values: Settings = { 'tokens.forceReadOnly': d.forceReadOnly, 'auth.readRules': lines(d.readRules) };
  let max: number | null = null;
  if (d.hasMax) {
    const r = parseInteger(d.maxDays, 1, 36_500);
    if ('error' in r) problems['tokens.maxValidityDays'] = r.error;
    else max = r.value;
  }
  values['tokens.maxValidityDays'] = max;
  if (d.defaultNever) {
    if (d.hasMax)
      problems['tokens.defaultValidityDays'] =
        'Tokens cannot default to “never expires” while there is a maximum validity.';
    values['tokens.defaultValidityDays'] = null;
  } else {
    const r = parseInteger(d.defaultDays, 1, 36_500);
    if ('error' in r) problems['tokens.defaultValidityDays'] = r.error;
    else if (max !== null && r.value > max)
      problems['tokens.defaultValidityDays'] = `At most the maximum validity (${max} days).`;
    else values['tokens.defaultValidityDays'] = r.value;
  }
  const perUser = parseInteger(d.maxPerUser, 1, 10_000);
  if ('error' in perUser) problems['tokens.maxPerUser'] = perUser.error;
  else values['tokens.maxPerUser'] = perUser.value;
  if (!PREFIX.test(d.prefix.trim()))
    problems['tokens.prefix'] = '2 to 16 characters: a lower-case letter, then lower-case letters or digits.';
  values['tokens.prefix'] = d.prefix.trim();
  for (const { key } of PERMISSIONS) {
    const p = d.permissions[key];
    const groups = p.groups
      .split(/[\s,]+/)
      .map((g) => g.trim())
      .filter(Boolean);
    const bad = groups.filter((g) => !GROUP_NAME.test(g));
    if (!p.everyone && bad.length > 0) problems[key] = `Not a group name: ${bad.join(', ')}`;
    values[key] = p.everyone ? ['*'] : [...new Set(groups)];
  }
  return { values, problems };
}

/** Token validity, limits and prefix, read rules, and who may use, create and manage tokens. */
export function PoliciesTab(props: SettingsTabProps) {
  const { settings, schema } = props;
  const { refreshMe } = useSession();
  const [draft, setDraft] = useState(() => draftOf(settings));
  useEffect(() => setDraft(draftOf(settings)), [settings]);
  const { errors, notice, busy, save, changedKeys } = useSettingsSave({
    ...props,
    onSaved: (s) => {
      props.onSaved(s);
      // The token form reads the policy from /me.
      void refreshMe().catch(() => undefined);
    },
  });
  const { values, problems } = valuesOf(draft);
  const dirty = Object.keys(problems).length > 0 || changedKeys(values).length > 0;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const prefixChanged = draft.prefix.trim() !== settings['tokens.prefix'];

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    void save(values, problems);
  };

  return (
    <form onSubmit={submit} noValidate className="settings-form" aria-labelledby="tab-title">
      <h2 id="tab-title" className="visually-hidden">
        Token policies and permissions
      </h2>
      <fieldset className="card">
        <legend>Validity</legend>
        <CheckboxField
          label="Limit how long a token may be valid"
          checked={draft.hasMax}
          onChange={(v) => setDraft((d) => ({ ...d, hasMax: v, defaultNever: v ? false : d.defaultNever }))}
          testId="setting-tokens.hasMaxValidity"
          hint="Off: tokens may be created without an expiry date. Atlassian and GitLab default to at most 365 days."
        />
        {draft.hasMax ? (
          <Field
            label="Maximum validity (days)"
            error={errors['tokens.maxValidityDays']}
            hint="No token can be created with a later expiry; the create dialog offers nothing beyond it."
          >
            {(p) => (
              <input
                {...p}
                className="input input-narrow"
                inputMode="numeric"
                value={draft.maxDays}
                onChange={(e) => set('maxDays', e.target.value)}
                data-testid="setting-tokens.maxValidityDays"
              />
            )}
          </Field>
        ) : null}
        <Field
          label="Default validity (days)"
          error={errors['tokens.defaultValidityDays']}
          hint="Used when a token is created without an expiry, e.g. by a script that sends only a description."
        >
          {(p) => (
            <input
              {...p}
              className="input input-narrow"
              inputMode="numeric"
              value={draft.defaultDays}
              disabled={draft.defaultNever}
              onChange={(e) => set('defaultDays', e.target.value)}
              data-testid="setting-tokens.defaultValidityDays"
            />
          )}
        </Field>
        {!draft.hasMax ? (
          <CheckboxField
            label="By default, tokens never expire"
            checked={draft.defaultNever}
            onChange={(v) => set('defaultNever', v)}
            testId="setting-tokens.defaultNever"
          />
        ) : null}
      </fieldset>

      <fieldset className="card">
        <legend>Limits</legend>
        <Field
          label="Active tokens per user"
          error={errors['tokens.maxPerUser']}
          hint={helpText(schema, 'tokens.maxPerUser')}
        >
          {(p) => (
            <input
              {...p}
              className="input input-narrow"
              inputMode="numeric"
              value={draft.maxPerUser}
              onChange={(e) => set('maxPerUser', e.target.value)}
              data-testid="setting-tokens.maxPerUser"
            />
          )}
        </Field>
        <CheckboxField
          label="Self-created tokens are read-only"
          checked={draft.forceReadOnly}
          onChange={(v) => set('forceReadOnly', v)}
          error={errors['tokens.forceReadOnly']}
          testId="setting-tokens.forceReadOnly"
          hint={helpText(schema, 'tokens.forceReadOnly')}
        />
        <Field
          label="Token prefix"
          error={errors['tokens.prefix']}
          hint={
            prefixChanged
              ? 'Existing tokens keep working. Update the rules of your secret scanners (gitleaks, trufflehog, GitHub) to the new prefix.'
              : helpText(schema, 'tokens.prefix')
          }
        >
          {(p) => (
            <input
              {...p}
              className="input input-narrow mono"
              value={draft.prefix}
              onChange={(e) => set('prefix', e.target.value)}
              autoCapitalize="off"
              spellCheck={false}
              data-testid="setting-tokens.prefix"
            />
          )}
        </Field>
        <Field label="Read rules" error={errors['auth.readRules']} hint={helpText(schema, 'auth.readRules')}>
          {(p) => (
            <textarea
              {...p}
              className="input mono"
              rows={3}
              spellCheck={false}
              value={draft.readRules}
              onChange={(e) => set('readRules', e.target.value)}
              data-testid="setting-auth.readRules"
            />
          )}
        </Field>
      </fieldset>

      <fieldset className="card">
        <legend>Permissions</legend>
        <p className="field-hint">Members of the admin group always hold every permission.</p>
        {PERMISSIONS.map((perm) => (
          <GroupsField
            key={perm.key}
            label={perm.label}
            what={perm.what}
            value={draft.permissions[perm.key]}
            error={errors[perm.key]}
            testId={`setting-${perm.key}`}
            onChange={(v) => set('permissions', { ...draft.permissions, [perm.key]: v })}
          />
        ))}
      </fieldset>

      <SaveBar busy={busy} dirty={dirty} notice={notice} onReset={() => setDraft(draftOf(settings))} />
    </form>
  );
}

function GroupsField({
  label,
  what,
  value,
  error,
  onChange,
  testId,
}: {
  label: string;
  what: string;
  value: GroupDraft;
  error: string | undefined;
  onChange: (v: GroupDraft) => void;
  testId: string;
}) {
  const id = useId();
  return (
    <fieldset className={`subfieldset${error ? ' field-invalid' : ''}`} data-testid={testId}>
      <legend>{label}</legend>
      <div className="radio-row">
        <input
          type="radio"
          id={`${id}-all`}
          name={id}
          checked={value.everyone}
          onChange={() => onChange({ ...value, everyone: true })}
          data-testid={`${testId}-everyone`}
        />
        <label htmlFor={`${id}-all`}>Everyone</label>
      </div>
      <div className="radio-row">
        <input
          type="radio"
          id={`${id}-groups`}
          name={id}
          checked={!value.everyone}
          onChange={() => onChange({ ...value, everyone: false })}
          data-testid={`${testId}-groups`}
        />
        <label htmlFor={`${id}-groups`}>Members of these groups</label>
      </div>
      {!value.everyone ? (
        <Field
          label={`Groups that ${what}`}
          error={error}
          hint="Separate group names with commas. Empty: only the admin group."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              value={value.groups}
              onChange={(e) => onChange({ ...value, groups: e.target.value })}
              autoCapitalize="off"
              spellCheck={false}
              data-testid={`${testId}-input`}
            />
          )}
        </Field>
      ) : error ? (
        <p className="field-error">{error}</p>
      ) : null}
    </fieldset>
  );
}
