import { createContext, useContext } from 'react';
import { DEFAULT_POLICY, type Me, type Policy } from './api';

/** The signed-in user, what they may do, and a way to refresh both after a settings change. */
export interface SessionContextValue {
  me: Me;
  policy: Policy;
  refreshMe: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

export function policyOf(me: Me): Policy {
  return { ...DEFAULT_POLICY, ...me.policy };
}
