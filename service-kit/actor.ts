import type { Principal } from './access.ts';

/**
 * Who made a change, written the same way in every record that keeps it
 * (case events, rule history, silences, registry history, commands, the audit
 * log): `role:name#tokenId`. The token id tells apart two tokens given the
 * same name; the role says in what capacity. No principal: `anonymous`.
 */
export function actorOf(principal: Principal | null | undefined): string {
  return principal ? `${principal.role}:${principal.name}#${principal.tokenId}` : 'anonymous';
}
