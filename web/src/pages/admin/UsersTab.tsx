import { useState } from 'react';
import { api, type User } from '../../api';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Empty, ErrorState, Notice, SkeletonRows } from '../../components/States';
import { formatDate } from '../../format';
import { useSession } from '../../session';
import { useAsync } from '../../useAsync';
import { PasswordDialog, UserFormDialog } from './UserDialogs';

type Dialogs =
  | { kind: 'none' }
  | { kind: 'add' }
  | { kind: 'edit'; user: User }
  | { kind: 'password'; user: User }
  | { kind: 'toggle'; user: User }
  | { kind: 'delete'; user: User };

/** The local user directory: add, edit groups, disable or enable, reset passwords, delete. */
export function UsersTab() {
  const { me } = useSession();
  const users = useAsync(() => api.listUsers().then((r) => r.items), []);
  const [dialog, setDialog] = useState<Dialogs>({ kind: 'none' });
  const [notice, setNotice] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const close = () => setDialog({ kind: 'none' });
  const done = (message: string) => {
    close();
    setNotice(message);
    users.reload();
  };

  const q = query.trim().toLowerCase();
  const shown = (users.data ?? []).filter(
    (u) =>
      !q ||
      u.username.includes(q) ||
      u.displayName.toLowerCase().includes(q) ||
      (u.email ?? '').toLowerCase().includes(q) ||
      u.groups.some((g) => g.toLowerCase().includes(q)),
  );

  return (
    <div className="settings-form tab-wide">
      <h2 id="tab-title" className="visually-hidden">
        Users
      </h2>
      <div className="toolbar">
        <div className="toolbar-field">
          <label htmlFor="user-search">Find</label>
          <input
            id="user-search"
            type="search"
            className="input"
            placeholder="Name, e-mail or group"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="user-search"
          />
        </div>
        <button
          type="button"
          className="button button-primary"
          onClick={() => setDialog({ kind: 'add' })}
          data-testid="user-add"
        >
          Add user
        </button>
      </div>
      {notice ? (
        <Notice kind="success" testId="users-notice">
          {notice}
        </Notice>
      ) : null}
      {users.error ? (
        <ErrorState error={users.error} onRetry={users.reload} />
      ) : users.data && shown.length === 0 ? (
        <Empty title={q ? 'No user matches' : 'No users yet'}>
          {q ? 'Try another name or group.' : 'Add the first user.'}
        </Empty>
      ) : (
        <div className="table-wrap">
          <table className="table responsive-table" data-testid="user-table" aria-busy={users.loading}>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">E-mail</th>
                <th scope="col">Groups</th>
                <th scope="col">Sign-in</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col" className="col-actions">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {!users.data ? <SkeletonRows columns={7} /> : null}
              {shown.map((u) => (
                <tr
                  key={u.username}
                  data-testid="user-row"
                  data-username={u.username}
                  className={u.disabled ? 'row-dim' : undefined}
                >
                  <td data-label="User">
                    <span className="cell-main">{u.displayName}</span>
                    <span className="cell-sub mono">{u.username}</span>
                  </td>
                  <td data-label="E-mail">{u.email ?? <span className="muted">—</span>}</td>
                  <td data-label="Groups">
                    {u.groups.length === 0 ? (
                      <span className="muted">none</span>
                    ) : (
                      u.groups.map((g) => (
                        <span key={g} className={`badge ${g === 'admin' ? 'badge-admin' : 'badge-neutral'}`}>
                          {g}
                        </span>
                      ))
                    )}
                  </td>
                  <td data-label="Sign-in">{u.hasPassword ? 'Password and tokens' : 'Tokens only'}</td>
                  <td data-label="Status">
                    <span
                      className={`badge ${u.disabled ? 'badge-revoked' : 'badge-active'}`}
                      data-testid="user-status"
                    >
                      {u.disabled ? 'Disabled' : 'Enabled'}
                    </span>
                  </td>
                  <td data-label="Created">{formatDate(u.createdAt)}</td>
                  <td className="col-actions" data-label="Actions">
                    <div className="row-actions">
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => setDialog({ kind: 'edit', user: u })}
                        aria-label={`Edit ${u.username}`}
                        data-testid="user-edit"
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => setDialog({ kind: 'password', user: u })}
                        aria-label={`Reset the password of ${u.username}`}
                        data-testid="user-password-reset"
                      >
                        Password
                      </button>
                      <button
                        type="button"
                        className="button button-small"
                        onClick={() => setDialog({ kind: 'toggle', user: u })}
                        disabled={u.username === me.user.username}
                        aria-label={`${u.disabled ? 'Enable' : 'Disable'} ${u.username}`}
                        data-testid="user-toggle"
                      >
                        {u.disabled ? 'Enable' : 'Disable'}
                      </button>
                      <button
                        type="button"
                        className="button button-small button-danger-outline"
                        onClick={() => setDialog({ kind: 'delete', user: u })}
                        disabled={u.username === me.user.username}
                        aria-label={`Delete ${u.username}`}
                        data-testid="user-delete"
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog.kind === 'add' ? (
        <UserFormDialog onClose={close} onSaved={(u) => done(`User ${u.username} added.`)} />
      ) : null}
      {dialog.kind === 'edit' ? (
        <UserFormDialog
          user={dialog.user}
          onClose={close}
          onSaved={(u) => done(`User ${u.username} saved.`)}
        />
      ) : null}
      {dialog.kind === 'password' ? (
        <PasswordDialog
          user={dialog.user}
          onClose={close}
          onSaved={(u, removed) =>
            done(
              removed
                ? `${u.username} has no password now and can only use tokens.`
                : `The password of ${u.username} was reset.`,
            )
          }
        />
      ) : null}
      {dialog.kind === 'toggle' ? (
        <ConfirmDialog
          title={`${dialog.user.disabled ? 'Enable' : 'Disable'} ${dialog.user.username}?`}
          confirmLabel={dialog.user.disabled ? 'Enable user' : 'Disable user'}
          danger={!dialog.user.disabled}
          onClose={close}
          onConfirm={async () => {
            const u = await api.updateUser(dialog.user.username, { disabled: !dialog.user.disabled });
            done(`User ${u.username} ${u.disabled ? 'disabled' : 'enabled'}.`);
          }}
        >
          <p>
            {dialog.user.disabled
              ? 'The user can sign in again, and their tokens that have not expired or been revoked work again.'
              : 'The password and every token of this user stop working at once. The tokens keep their status and work again if you enable the user.'}
          </p>
        </ConfirmDialog>
      ) : null}
      {dialog.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete ${dialog.user.username}?`}
          confirmLabel="Delete user and tokens"
          danger
          onClose={close}
          onConfirm={async () => {
            await api.deleteUser(dialog.user.username);
            done(`User ${dialog.user.username} and their tokens deleted.`);
          }}
        >
          <p>
            This deletes the user <strong>and all their tokens</strong>; the tokens disappear from every list.
            To keep them queryable, disable the user instead. The audit log keeps its records.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
