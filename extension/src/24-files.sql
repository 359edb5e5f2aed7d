-- SPDX-License-Identifier: MIT
-------------------------------------------------------------------------------
-- Files: the bytes in S3-compatible object storage, their metadata here
-- (docs/files.md). A speaker asks the gateway for an upload (tmi.begin_upload
-- records it as pending, with an expiry), sends the object straight to the
-- store, and the gateway, once it has verified size and SHA-256, attaches it
-- (tmi.complete_upload, through tmi.attach_file: the file_attachment row and the
-- file.attached event, in one transaction). Objects placed by other means are
-- attached with tmi.attach_file directly. A file deleted, with its target or
-- alone (tmi.detach_file), makes a file.deleted event and queues its object in
-- file_trash; pending uploads that expire are queued there too
-- (tmi.expire_uploads), and the object store's janitor deletes what is queued.
-- Listeners read files under the rule of rows (row-level security with
-- tmi.listener_sees).
-------------------------------------------------------------------------------
ALTER TABLE tmi.file_attachment ADD COLUMN name text, ADD COLUMN version integer;
-- files 0.1 stored (by hand: it had no front door for them) are named after their key's last segment
UPDATE tmi.file_attachment f
   SET name = coalesce(nullif(pg_catalog.regexp_replace(f.object_key, '^.*/', ''), ''), f.object_key),
       version = 1;
ALTER TABLE tmi.file_attachment ALTER COLUMN name SET NOT NULL, ALTER COLUMN version SET NOT NULL,
    ADD CONSTRAINT file_attachment_version UNIQUE (target_id, name, version);
COMMENT ON COLUMN tmi.file_attachment.version IS 'Files of a target with the same name are its versions: 1, 2, ...';

CREATE TABLE tmi.file_upload (
    upload_id    uuid        PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
    target_id    uuid        NOT NULL,
    name         text        NOT NULL,
    content_type text        NOT NULL,
    size_bytes   bigint      NOT NULL CONSTRAINT file_upload_size CHECK (size_bytes >= 0),
    sha256       text        NOT NULL,
    bucket       text        NOT NULL,
    object_key   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz NOT NULL,
    UNIQUE (bucket, object_key)
);
COMMENT ON TABLE tmi.file_upload IS
    'Uploads promised but not yet attached; the object may exist. Expired ones are queued in file_trash';
CREATE INDEX file_upload_expires_idx ON tmi.file_upload (expires_at);

CREATE TABLE tmi.file_trash (
    bucket     text        NOT NULL,
    object_key text        NOT NULL,
    queued_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text,
    PRIMARY KEY (bucket, object_key)
);
COMMENT ON TABLE tmi.file_trash IS 'Objects to delete from the object store (deleted files, expired uploads)';

-- what the gateway last learnt of the object store it uses (tmi.status() shows it)
CREATE TABLE tmi.file_store (
    bucket     text        PRIMARY KEY,
    endpoint   text        NOT NULL,
    reachable  boolean     NOT NULL,
    objects    bigint,
    bytes      bigint,
    detail     text,
    checked_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE tmi.file_store IS 'The object stores in use, as last checked: reachable, objects and bytes';

CREATE FUNCTION tmi.check_file(name text, content_type text, size_bytes bigint, sha256 text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(name, 'name', 'Name the file, e.g. ''photo.jpg''.');
    PERFORM tmi.require(content_type, 'content_type', 'Pass the media type, e.g. ''image/jpeg''.');
    PERFORM tmi.require(size_bytes, 'size_bytes', 'Pass the size of the object in bytes.');
    PERFORM tmi.require(sha256, 'sha256', 'Pass the SHA-256 of the object as 64 hexadecimal digits.');
    IF name = '' OR length(name) > 255 OR name ~ '[[:cntrl:]/\\]' THEN
        RAISE EXCEPTION 'invalid file name' USING ERRCODE = '22023',
            DETAIL = format('name = %s', left(quote_literal(name), 300)),
            HINT = 'A file name has 1 to 255 characters, no slash, backslash or control character.';
    END IF;
    IF content_type !~ '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$' THEN
        RAISE EXCEPTION 'invalid content type' USING ERRCODE = '22023',
            DETAIL = format('content_type = %s', left(quote_literal(content_type), 300)),
            HINT = 'Pass a media type as type/subtype without parameters, e.g. ''image/jpeg''.';
    END IF;
    IF size_bytes < 0 THEN
        RAISE EXCEPTION 'size_bytes must not be negative' USING ERRCODE = '22023',
            DETAIL = format('size_bytes = %s', size_bytes), HINT = 'Pass the size of the object in bytes.';
    END IF;
    IF sha256 !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'invalid sha256' USING ERRCODE = '22023',
            DETAIL = format('sha256 = %s', left(quote_literal(sha256), 100)),
            HINT = 'Pass the SHA-256 of the object as 64 lower-case hexadecimal digits.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.check_file(text, text, bigint, text) IS
    'Raises 22004/22023 unless name, content type, size and SHA-256 (hex) describe a file';

CREATE FUNCTION tmi.require_speaker(action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $fn$
BEGIN
    IF NOT tmi.caller_is_speaker() THEN
        RAISE EXCEPTION 'permission denied to %', action USING ERRCODE = '42501',
            HINT = 'Files are written by speakers and admins (tmi_speaker, tmi_admin).';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.require_speaker(text) IS 'Raises 42501 unless the caller is a speaker, an admin or a superuser';

CREATE FUNCTION tmi.require_target(target uuid)
RETURNS void
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require(target, 'target', 'Pass the target''s id, e.g. tmi.target_id(kind, ext_key).');
    IF NOT EXISTS (SELECT 1 FROM tmi.target t WHERE t.target_id = target) THEN
        RAISE EXCEPTION 'target % does not exist', target USING ERRCODE = '42704',
            HINT = 'Create it with tmi.add_target first, or pass the id of an existing target.';
    END IF;
END
$fn$;
COMMENT ON FUNCTION tmi.require_target(uuid) IS 'Raises 22004/42704 unless the target exists';

CREATE FUNCTION tmi.begin_upload(target uuid, name text, content_type text, size_bytes bigint, sha256 text,
                                 bucket text, ttl interval)
RETURNS tmi.file_upload
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    id uuid := gen_random_uuid();
    up tmi.file_upload;
BEGIN
    PERFORM tmi.require_speaker('upload files');
    PERFORM tmi.check_file(name, content_type, size_bytes, sha256);
    PERFORM tmi.require_target(target);
    PERFORM tmi.require(bucket, 'bucket', 'Pass the bucket the object goes to.');
    IF ttl IS NULL OR ttl <= interval '0' THEN
        RAISE EXCEPTION 'ttl must be a positive interval' USING ERRCODE = '22023',
            DETAIL = format('ttl = %s', coalesce(ttl::text, 'NULL')), HINT = 'Pass how long the upload may take, e.g. ''15 minutes''.';
    END IF;
    INSERT INTO tmi.file_upload (upload_id, target_id, name, content_type, size_bytes, sha256, bucket, object_key, expires_at)
    VALUES (id, target, name, content_type, size_bytes, sha256, bucket, target::text || '/' || id::text, now() + ttl)
    RETURNING * INTO up;
    RETURN up;
END
$fn$;
COMMENT ON FUNCTION tmi.begin_upload(uuid, text, text, bigint, text, text, interval) IS
    'Records a pending upload of a file about a target (object key <target_id>/<upload_id>) until now() + ttl';

CREATE FUNCTION tmi.pending_upload(upload uuid)
RETURNS tmi.file_upload
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    up tmi.file_upload;
BEGIN
    PERFORM tmi.require_speaker('upload files');
    SELECT * INTO up FROM tmi.file_upload u WHERE u.upload_id = upload AND u.expires_at > now();
    IF NOT FOUND THEN
        RAISE EXCEPTION 'upload % is unknown or expired', upload USING ERRCODE = '42704',
            HINT = 'Ask for a new upload (POST /files); an upload must be completed before it expires.';
    END IF;
    RETURN up;
END
$fn$;
COMMENT ON FUNCTION tmi.pending_upload(uuid) IS 'The pending upload with this id, unless it expired (42704)';

CREATE FUNCTION tmi.cancel_upload(upload uuid)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    PERFORM tmi.require_speaker('upload files');
    WITH gone AS (DELETE FROM tmi.file_upload u WHERE u.upload_id = upload RETURNING u.bucket, u.object_key)
    INSERT INTO tmi.file_trash (bucket, object_key) SELECT g.bucket, g.object_key FROM gone g
        ON CONFLICT DO NOTHING;
    RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION tmi.cancel_upload(uuid) IS 'Drops a pending upload and queues its object (if any) for deletion';

CREATE FUNCTION tmi.attach_file(target uuid, name text, content_type text, size_bytes bigint, sha256 text,
                                bucket text, object_key text, meta jsonb DEFAULT '{}')
RETURNS tmi.file_attachment
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    f tmi.file_attachment;
BEGIN
    PERFORM tmi.require_speaker('attach files');
    PERFORM tmi.check_file(name, content_type, size_bytes, sha256);
    PERFORM tmi.require_target(target);
    PERFORM tmi.require(bucket, 'bucket', 'Pass the bucket that holds the object.');
    PERFORM tmi.require(object_key, 'object_key', 'Pass the key of the object in its bucket.');
    PERFORM tmi.require_object(meta, 'meta');
    IF object_key = '' THEN
        RAISE EXCEPTION 'object_key must not be empty' USING ERRCODE = '22023', HINT = 'Pass the key of the object in its bucket.';
    END IF;
    IF EXISTS (SELECT 1 FROM tmi.file_attachment a WHERE a.bucket = attach_file.bucket AND a.object_key = attach_file.object_key) THEN
        RAISE EXCEPTION 'object %/% is attached already', bucket, object_key USING ERRCODE = '23505',
            HINT = 'An object is one file; put a new version under a key of its own.';
    END IF;
    -- versions of one name are numbered in turn; the lock makes concurrent attaches wait for each other
    PERFORM pg_advisory_xact_lock(hashtextextended(target::text || '/' || name, 0));
    INSERT INTO tmi.file_attachment (target_id, bucket, object_key, content_type, size_bytes, sha256, meta, name, version)
    SELECT target, attach_file.bucket, attach_file.object_key, attach_file.content_type, attach_file.size_bytes,
           attach_file.sha256, attach_file.meta, attach_file.name, coalesce(max(a.version), 0) + 1
      FROM tmi.file_attachment a WHERE a.target_id = target AND a.name = attach_file.name
    RETURNING * INTO f;
    DELETE FROM tmi.file_upload u WHERE u.bucket = attach_file.bucket AND u.object_key = attach_file.object_key;
    DELETE FROM tmi.file_trash x WHERE x.bucket = attach_file.bucket AND x.object_key = attach_file.object_key;
    RETURN f;
END
$fn$;
COMMENT ON FUNCTION tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb) IS
    'Attaches an object of the store to a target as the next version of the named file (event file.attached); the object must be in place';

-- The gateway's completion of a presigned upload, once the store answered the object's size and
-- SHA-256: the pending upload is locked, checked and attached in one transaction, so that an upload
-- cancelled or expired in the meantime is not attached, and completing it twice attaches it once.
CREATE FUNCTION tmi.complete_upload(upload uuid, size_bytes bigint, sha256 text)
RETURNS tmi.file_attachment
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    up tmi.file_upload;
    f tmi.file_attachment;
BEGIN
    PERFORM tmi.require_speaker('upload files');
    SELECT * INTO up FROM tmi.file_upload u WHERE u.upload_id = upload AND u.expires_at > now() FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'upload % is unknown or expired', upload USING ERRCODE = '42704',
            HINT = 'Ask for a new upload (POST /files); an upload must be completed before it expires.';
    END IF;
    IF up.size_bytes IS DISTINCT FROM complete_upload.size_bytes OR up.sha256 IS DISTINCT FROM complete_upload.sha256 THEN
        RAISE EXCEPTION 'the object of upload % is not the file declared', upload USING ERRCODE = '22023',
            DETAIL = format('declared %s bytes with SHA-256 %s, the store has %s bytes with SHA-256 %s', up.size_bytes,
                            up.sha256, coalesce(complete_upload.size_bytes::text, 'NULL'), coalesce(complete_upload.sha256, 'NULL')),
            HINT = 'Pass the size and SHA-256 the store verified for the upload''s object.';
    END IF;
    SELECT * INTO f FROM tmi.attach_file(up.target_id, up.name, up.content_type, up.size_bytes, up.sha256, up.bucket, up.object_key);
    RETURN f;
END
$fn$;
COMMENT ON FUNCTION tmi.complete_upload(uuid, bigint, text) IS
    'Attaches the object of a pending upload, given the size and SHA-256 the store verified (42704 if unknown or expired, 22023 if they differ from the declared)';

CREATE FUNCTION tmi.detach_file(file bigint)
RETURNS tmi.file_attachment
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    f tmi.file_attachment;
BEGIN
    PERFORM tmi.require(file, 'file', 'Pass the file''s id (file_id).');
    DELETE FROM tmi.file_attachment a WHERE a.file_id = file RETURNING * INTO f;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'file % does not exist', file USING ERRCODE = '42704',
            HINT = 'Pass the file_id of an attached file (file.attached events carry it).';
    END IF;
    RETURN f;
END
$fn$;
COMMENT ON FUNCTION tmi.detach_file(bigint) IS
    'Deletes a file: its row goes, its object is queued for deletion, and a file.deleted event is made';

CREATE FUNCTION tmi.file_deleted()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
DECLARE
    log bigint;
BEGIN
    INSERT INTO tmi.file_trash (bucket, object_key) VALUES (OLD.bucket, OLD.object_key) ON CONFLICT DO NOTHING;
    -- the target is still there when it is being deleted: its files go first (tmi.target_files_deleted)
    INSERT INTO tmi.event_log (event_type, kind, target_id, payload)
    SELECT 'file.deleted', (SELECT t.kind FROM tmi.target t WHERE t.target_id = OLD.target_id), OLD.target_id,
           to_jsonb(OLD)
    RETURNING log_id INTO log;
    PERFORM tmi.notify_events(log);
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION tmi.file_deleted() IS 'Trigger: a deleted file''s object goes to file_trash, and a file.deleted event is made';
CREATE TRIGGER file_attachment_deleted AFTER DELETE ON tmi.file_attachment
    FOR EACH ROW EXECUTE FUNCTION tmi.file_deleted();

-- A target's files are deleted before the target rather than by ON DELETE CASCADE after it, so
-- that their file.deleted events carry the target's kind, which WebSocket listeners follow.
CREATE FUNCTION tmi.target_files_deleted()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog
AS $fn$
BEGIN
    DELETE FROM tmi.file_attachment a WHERE a.target_id = OLD.target_id;
    RETURN OLD;
END
$fn$;
COMMENT ON FUNCTION tmi.target_files_deleted() IS
    'Trigger: a target''s files are deleted before it, so that their file.deleted events carry its kind';
CREATE TRIGGER target_files_deleted BEFORE DELETE ON tmi.target
    FOR EACH ROW EXECUTE FUNCTION tmi.target_files_deleted();

CREATE FUNCTION tmi.expire_uploads()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog
AS $fn$
DECLARE
    n integer;
BEGIN
    WITH gone AS (DELETE FROM tmi.file_upload u WHERE u.expires_at <= now() RETURNING u.bucket, u.object_key)
    INSERT INTO tmi.file_trash (bucket, object_key) SELECT g.bucket, g.object_key FROM gone g
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$fn$;
COMMENT ON FUNCTION tmi.expire_uploads() IS
    'Queues the objects of expired uploads in file_trash and forgets the uploads; returns how many were queued';

CREATE FUNCTION tmi.report_file_store(bucket text, endpoint text, reachable boolean, objects bigint, bytes bigint, detail text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog
BEGIN ATOMIC
    INSERT INTO tmi.file_store (bucket, endpoint, reachable, objects, bytes, detail, checked_at)
    VALUES (report_file_store.bucket, report_file_store.endpoint, report_file_store.reachable,
            report_file_store.objects, report_file_store.bytes, report_file_store.detail, now())
    ON CONFLICT ON CONSTRAINT file_store_pkey DO UPDATE
       SET endpoint = excluded.endpoint, reachable = excluded.reachable, objects = excluded.objects,
           bytes = excluded.bytes, detail = excluded.detail, checked_at = excluded.checked_at;
END;
COMMENT ON FUNCTION tmi.report_file_store(text, text, boolean, bigint, bigint, text) IS
    'Records what the worker learnt of the object store (tmi.status() shows it)';

CREATE FUNCTION tmi.file_status()
RETURNS TABLE (subsystem text, state text, detail text)
LANGUAGE sql STABLE
SECURITY DEFINER
SET search_path = pg_catalog
BEGIN ATOMIC
    SELECT 'files',
           CASE WHEN bool_and(s.reachable) IS DISTINCT FROM false THEN 'ok' ELSE 'attention' END,
           format('%s files, %s bytes attached; %s uploads pending, %s objects to delete; %s',
                  (SELECT count(*) FROM tmi.file_attachment), (SELECT coalesce(sum(a.size_bytes), 0) FROM tmi.file_attachment a),
                  (SELECT count(*) FROM tmi.file_upload), (SELECT count(*) FROM tmi.file_trash),
                  coalesce(string_agg(format('store %s bucket %s %s: %s objects, %s bytes%s (checked %s s ago)',
                                             s.endpoint, s.bucket, CASE WHEN s.reachable THEN 'reachable' ELSE 'unreachable' END,
                                             coalesce(s.objects::text, '?'), coalesce(s.bytes::text, '?'),
                                             coalesce(': ' || s.detail, ''),
                                             round(extract(epoch FROM now() - s.checked_at)::numeric)), '; ' ORDER BY s.bucket),
                           'no object store has reported (tmidb-worker reports the one it uses)'))
      FROM tmi.file_store s;
END;
COMMENT ON FUNCTION tmi.file_status() IS 'The files row of tmi.status(): files, pending uploads, trash and the object store';

ALTER TABLE tmi.file_attachment ENABLE ROW LEVEL SECURITY;
CREATE POLICY file_attachment_speaker ON tmi.file_attachment TO tmi_speaker USING (true) WITH CHECK (true);
CREATE POLICY file_attachment_listener ON tmi.file_attachment FOR SELECT TO tmi_listener
    USING (tmi.listener_sees(target_id));

SELECT pg_catalog.pg_extension_config_dump('tmi.file_upload', '');
SELECT pg_catalog.pg_extension_config_dump('tmi.file_trash', '');
REVOKE ALL ON FUNCTION tmi.check_file(text, text, bigint, text), tmi.require_speaker(text), tmi.require_target(uuid),
    tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid), tmi.cancel_upload(uuid),
    tmi.complete_upload(uuid, bigint, text), tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb),
    tmi.detach_file(bigint), tmi.file_deleted(), tmi.target_files_deleted(), tmi.expire_uploads(), tmi.report_file_store(text, text, boolean, bigint, bigint, text), tmi.file_status()
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tmi.check_file(text, text, bigint, text), tmi.require_speaker(text), tmi.require_target(uuid),
    tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid), tmi.cancel_upload(uuid),
    tmi.complete_upload(uuid, bigint, text), tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb),
    tmi.detach_file(bigint), tmi.file_deleted(), tmi.target_files_deleted(), tmi.expire_uploads(), tmi.report_file_store(text, text, boolean, bigint, bigint, text), tmi.file_status()
    TO tmi_admin;
-- the checks run inside these functions, as their owner: speakers need no grant on them
GRANT EXECUTE ON FUNCTION tmi.begin_upload(uuid, text, text, bigint, text, text, interval), tmi.pending_upload(uuid),
    tmi.cancel_upload(uuid), tmi.complete_upload(uuid, bigint, text), tmi.attach_file(uuid, text, text, bigint, text, text, text, jsonb),
    tmi.detach_file(bigint)
    TO tmi_speaker;
GRANT ALL ON tmi.file_upload, tmi.file_trash, tmi.file_store TO tmi_admin;
-- in the order 0.1 granted them (admin, speaker), so that a new and an updated database hold the same ACL
GRANT ALL ON tmi.file_attachment TO tmi_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON tmi.file_attachment TO tmi_speaker;
GRANT SELECT ON tmi.file_attachment TO tmi_listener;
-- end of Files
