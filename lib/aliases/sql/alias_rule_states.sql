-- What the resolution rule makes of each legacy username now, and the user it names.
SELECT names.legacy_username, r.match_kind, r.user_id, u.username
FROM unnest(CAST(:legacy_usernames AS text[])) AS names (legacy_username)
CROSS JOIN LATERAL resolve_owner_username(names.legacy_username) AS r
LEFT JOIN app_users AS u ON u.id = r.user_id;
