import { useState } from 'react';
import { api, ApiError, type SettingSchemaItem, type Settings } from '../../api';
import type { FieldErrors } from '../../components/Field';
import { Notice } from '../../components/States';
import { plural } from '../../format';
import { errorMessage } from '../../useAsync';

/** What every settings tab gets: the current values, their help texts, and a way to store new values. */
export interface SettingsTabProps {
  settings: Settings;
  schema: SettingSchemaItem[];
  onSaved: (settings: Settings) => void;
}

export function helpText(schema: SettingSchemaItem[], key: string): string | undefined {
  return schema.find((s) => s.key === key)?.description || undefined;
}

/** Splits a help text into what the setting does and its "Volume: …" warning, if it has one. */
export function splitVolume(text: string | undefined): { about: string; volume: string | null } {
  if (!text) return { about: '', volume: null };
  const i = text.indexOf('Volume:');
  if (i === -1) return { about: text, volume: null };
  const volume = text.slice(i + 'Volume:'.length).trim();
  return { about: text.slice(0, i).trim(), volume: volume.charAt(0).toUpperCase() + volume.slice(1) };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Saving a tab: sends only the keys whose value changed, in one PATCH (the server checks all of them
 * before writing any), and maps each refused key back to its field.
 */
export function useSettingsSave({ settings, onSaved }: SettingsTabProps) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<{ kind: 'success' | 'error' | 'info'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const changedKeys = (values: Settings) => Object.keys(values).filter((k) => !same(values[k], settings[k]));

  const save = async (values: Settings, problems: FieldErrors) => {
    setNotice(null);
    setErrors(problems);
    if (Object.keys(problems).length > 0) {
      setNotice({ kind: 'error', text: 'Some values need fixing; see the messages beside the fields.' });
      return;
    }
    const keys = changedKeys(values);
    if (keys.length === 0) {
      setNotice({ kind: 'info', text: 'Nothing has changed.' });
      return;
    }
    setBusy(true);
    try {
      const next = await api.updateSettings(Object.fromEntries(keys.map((k) => [k, values[k]])));
      onSaved(next);
      setNotice({
        kind: 'success',
        text: `Saved: ${plural(keys.length, 'setting')} changed. Every node applies them within about a second.`,
      });
    } catch (e) {
      if (e instanceof ApiError && e.fieldProblems.length > 0) {
        setErrors(Object.fromEntries(e.fieldProblems.map((p) => [p.field, p.message])));
        setNotice({ kind: 'error', text: 'Nothing was saved; see the messages beside the fields.' });
      } else {
        setNotice({ kind: 'error', text: errorMessage(e) });
      }
    } finally {
      setBusy(false);
    }
  };

  return { errors, notice, busy, save, changedKeys, clearNotice: () => setNotice(null) };
}

interface SaveBarProps {
  busy: boolean;
  dirty: boolean;
  onReset: () => void;
  notice: { kind: 'success' | 'error' | 'info'; text: string } | null;
}

export function SaveBar({ busy, dirty, onReset, notice }: SaveBarProps) {
  return (
    <div className="save-bar">
      {notice ? (
        <Notice kind={notice.kind} testId="settings-notice">
          {notice.text}
        </Notice>
      ) : null}
      <div className="save-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="settings-save">
          {busy ? 'Saving…' : 'Save changes'}
        </button>
        <button
          type="button"
          className="button"
          disabled={busy || !dirty}
          onClick={onReset}
          data-testid="settings-reset"
        >
          Discard changes
        </button>
        {dirty ? (
          <span className="unsaved" data-testid="settings-unsaved">
            Unsaved changes
          </span>
        ) : null}
      </div>
    </div>
  );
}

/** An integer typed into a text field: the number, or a problem to show beside it. */
export function parseInteger(text: string, min: number, max: number): { value: number } | { error: string } {
  const t = text.trim();
  const n = Number(t);
  if (!/^-?\d+$/.test(t) || !Number.isSafeInteger(n) || n < min || n > max) {
    return { error: `Enter a whole number from ${min.toLocaleString()} to ${max.toLocaleString()}.` };
  }
  return { value: n };
}

/** Lines of a textarea, trimmed, empty ones dropped. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function asStringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** A numeric setting as the text of an input. */
export function numText(v: unknown): string {
  return typeof v === 'number' ? String(v) : '';
}
