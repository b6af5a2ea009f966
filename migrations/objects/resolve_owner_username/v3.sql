-- One username, by the set-based rule (resolve_owner_usernames): the rule is written there once.
CREATE OR REPLACE FUNCTION resolve_owner_username(p_username text)
RETURNS TABLE (user_id bigint, match_kind text, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT r.user_id, r.match_kind, r.reason FROM resolve_owner_usernames(ARRAY[p_username]) AS r
$$
