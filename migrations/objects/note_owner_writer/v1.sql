-- Records that this session wrote owner fields of p_table through p_path ('legacy': a username
-- without an id; 'new': an id) in this minute, unless it has already: one row of
-- migration_ops.owner_writers, and the key in a session setting. Its counts are such minutes, not
-- rows. A transaction that rolls back takes the row and the setting with it, so the next write
-- records again.
CREATE OR REPLACE FUNCTION migration_ops.note_owner_writer(p_table text, p_path text)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  v_setting text := migration_ops.owner_writer_setting(p_table, p_path);
  v_key text := migration_ops.owner_writer_key();
BEGIN
  IF current_setting(v_setting, true) IS NOT DISTINCT FROM v_key THEN
    RETURN v_key;
  END IF;
  INSERT INTO migration_ops.owner_writers
    (entity_type, application_name, role, legacy_writes, new_writes, last_legacy_at, last_new_at)
  VALUES (p_table, current_setting('application_name'), current_user,
          (p_path = 'legacy')::int, (p_path = 'new')::int,
          CASE WHEN p_path = 'legacy' THEN now() END, CASE WHEN p_path = 'new' THEN now() END);
  RETURN set_config(v_setting, v_key, false);
END
$$
