/**
 * Campaigns and their patients: campaigns, imports, contacts, phones, rejected import rows, opt-outs.
 * Every column and index is explained in docs/database.md.
 */
import type { MigrationBuilder } from "node-pg-migrate";

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := now();
      RETURN NEW;
    END $$;

    CREATE TABLE campaigns (
      uid uuid PRIMARY KEY,
      namespace text NOT NULL,
      name text NOT NULL,
      state text NOT NULL DEFAULT 'active'
        CONSTRAINT campaigns_state_check CHECK (state IN ('active', 'completed', 'cancelled')),
      first_started_at timestamptz,
      completed_at timestamptz,
      cancelled_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX campaigns_namespace_name_idx ON campaigns (namespace, name);
    CREATE TRIGGER campaigns_set_updated_at BEFORE UPDATE ON campaigns
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    -- The campaign's duration counts from its first start; a resume never moves it.
    CREATE FUNCTION campaigns_keep_first_start() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.first_started_at IS NOT NULL THEN
        NEW.first_started_at := OLD.first_started_at;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER campaigns_keep_first_start BEFORE UPDATE OF first_started_at ON campaigns
      FOR EACH ROW EXECUTE FUNCTION campaigns_keep_first_start();

    CREATE TABLE imports (
      id bigserial PRIMARY KEY,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      source text NOT NULL,
      format text NOT NULL CONSTRAINT imports_format_check CHECK (format IN ('csv', 'xlsx')),
      checksum text CONSTRAINT imports_checksum_check CHECK (checksum ~ '^[0-9a-f]{64}$'),
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      report jsonb
    );
    CREATE UNIQUE INDEX imports_campaign_checksum_key ON imports (campaign_uid, checksum);

    CREATE TABLE contacts (
      id bigserial PRIMARY KEY,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      import_id bigint REFERENCES imports (id) ON DELETE SET NULL,
      source_row integer NOT NULL CONSTRAINT contacts_source_row_check CHECK (source_row > 0),
      name text NOT NULL CONSTRAINT contacts_name_check CHECK (name <> ''),
      birth_date date,
      procedure text,
      fields jsonb NOT NULL DEFAULT '{}'::jsonb
        CONSTRAINT contacts_fields_check CHECK (jsonb_typeof(fields) = 'object'),
      dedupe_key text NOT NULL,
      state text NOT NULL DEFAULT 'pending' CONSTRAINT contacts_state_check CHECK (state IN (
        'pending', 'ready', 'no_whatsapp', 'sent', 'awaiting_reason', 'confirmed', 'declined',
        'not_me', 'no_response', 'opted_out', 'failed')),
      follow_up_step integer NOT NULL DEFAULT 0
        CONSTRAINT contacts_follow_up_step_check CHECK (follow_up_step >= 0),
      last_contacted_at timestamptz,
      awaiting_reason_since timestamptz,
      replied_at timestamptz,
      decline_reason text,
      variant integer,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT contacts_campaign_dedupe_key UNIQUE (campaign_uid, dedupe_key)
    );
    CREATE INDEX contacts_campaign_state_idx ON contacts (campaign_uid, state, id);
    CREATE INDEX contacts_follow_up_due_idx ON contacts (campaign_uid, follow_up_step, last_contacted_at)
      WHERE state = 'sent';
    CREATE INDEX contacts_awaiting_reason_idx ON contacts (awaiting_reason_since)
      WHERE state = 'awaiting_reason';
    CREATE INDEX contacts_import_idx ON contacts (import_id);
    CREATE TRIGGER contacts_set_updated_at BEFORE UPDATE ON contacts
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TABLE phones (
      id bigserial PRIMARY KEY,
      contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      e164 text NOT NULL CONSTRAINT phones_e164_check CHECK (e164 ~ '^\\+[1-9][0-9]{7,14}$'),
      raw text NOT NULL,
      line_type text NOT NULL
        CONSTRAINT phones_line_type_check CHECK (line_type IN ('mobile', 'fixed_line', 'other')),
      sendable boolean NOT NULL,
      priority integer NOT NULL CONSTRAINT phones_priority_check CHECK (priority > 0),
      wa_status text NOT NULL DEFAULT 'unknown'
        CONSTRAINT phones_wa_status_check CHECK (wa_status IN ('unknown', 'registered', 'not_registered')),
      wa_address text,
      lid text,
      validated_at timestamptz,
      reply text CONSTRAINT phones_reply_check CHECK (reply IN ('confirmed', 'declined', 'not_me')),
      replied_at timestamptz,
      last_already_answered_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT phones_contact_e164_key UNIQUE (contact_id, e164)
    );
    CREATE INDEX phones_e164_idx ON phones (e164);
    CREATE INDEX phones_campaign_e164_idx ON phones (campaign_uid, e164);
    CREATE INDEX phones_wa_address_idx ON phones (wa_address) WHERE wa_address IS NOT NULL;
    CREATE INDEX phones_lid_idx ON phones (lid) WHERE lid IS NOT NULL;
    CREATE INDEX phones_to_validate_idx ON phones (campaign_uid, id)
      WHERE sendable AND wa_status = 'unknown';
    CREATE TRIGGER phones_set_updated_at BEFORE UPDATE ON phones
      FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    CREATE TABLE import_rejections (
      id bigserial PRIMARY KEY,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
      source_row integer NOT NULL,
      reason_code text NOT NULL,
      reason text NOT NULL,
      raw jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX import_rejections_import_row_idx ON import_rejections (import_id, source_row);
    CREATE INDEX import_rejections_campaign_idx ON import_rejections (campaign_uid);

    CREATE TABLE opt_outs (
      namespace text NOT NULL,
      e164 text NOT NULL CONSTRAINT opt_outs_e164_check CHECK (e164 ~ '^\\+[1-9][0-9]{7,14}$'),
      created_at timestamptz NOT NULL DEFAULT now(),
      source text NOT NULL CONSTRAINT opt_outs_source_check CHECK (source IN ('reply', 'operator')),
      campaign_uid uuid REFERENCES campaigns (uid) ON DELETE SET NULL,
      PRIMARY KEY (namespace, e164)
    );
    CREATE INDEX opt_outs_campaign_idx ON opt_outs (campaign_uid) WHERE campaign_uid IS NOT NULL;
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
    DROP TABLE opt_outs, import_rejections, phones, contacts, imports, campaigns;
    DROP FUNCTION campaigns_keep_first_start();
    DROP FUNCTION set_updated_at();
  `);
}
