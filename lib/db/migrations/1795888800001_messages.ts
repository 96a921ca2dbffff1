/**
 * Messages: inbound replies, the outbox of outbound messages and the providers' delivery events.
 *
 * The outbox state of a sent message only moves forward (sent < delivered < read): delivery events
 * arrive late, twice or out of order, and a worker may record "sent" after the "delivered" webhook was
 * already applied. `outbox_merge_state` is that rule and a trigger applies it to every write; see
 * docs/database.md ("Delivery status never moves backwards").
 */
import type { MigrationBuilder } from "node-pg-migrate";

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    CREATE TABLE inbound_messages (
      id bigserial PRIMARY KEY,
      provider text NOT NULL CONSTRAINT inbound_messages_provider_check CHECK (provider ~ '^[a-z][a-z0-9-]*$'),
      instance text NOT NULL,
      provider_message_id text NOT NULL,
      from_address text NOT NULL,
      phone_id bigint REFERENCES phones (id) ON DELETE CASCADE,
      contact_id bigint REFERENCES contacts (id) ON DELETE CASCADE,
      campaign_uid uuid REFERENCES campaigns (uid) ON DELETE CASCADE,
      text text,
      received_at timestamptz NOT NULL,
      classification text,
      processed_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT inbound_messages_provider_message_key UNIQUE (provider, instance, provider_message_id)
    );
    CREATE INDEX inbound_messages_unprocessed_idx ON inbound_messages (received_at) WHERE processed_at IS NULL;
    CREATE INDEX inbound_messages_contact_idx ON inbound_messages (contact_id, received_at)
      WHERE contact_id IS NOT NULL;
    CREATE INDEX inbound_messages_phone_idx ON inbound_messages (phone_id) WHERE phone_id IS NOT NULL;
    CREATE INDEX inbound_messages_campaign_idx ON inbound_messages (campaign_uid, received_at)
      WHERE campaign_uid IS NOT NULL;

    CREATE TABLE outbox (
      id bigserial PRIMARY KEY,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
      phone_id bigint NOT NULL REFERENCES phones (id) ON DELETE CASCADE,
      kind text NOT NULL CONSTRAINT outbox_kind_check CHECK (kind IN ('initial', 'follow_up', 'release', 'reply')),
      step integer CONSTRAINT outbox_step_check CHECK (step >= 0),
      inbound_id bigint REFERENCES inbound_messages (id) ON DELETE CASCADE,
      purpose text,
      state text NOT NULL DEFAULT 'pending' CONSTRAINT outbox_state_check CHECK (state IN (
        'pending', 'claimed', 'sent', 'delivered', 'read', 'failed', 'uncertain', 'cancelled')),
      body text,
      variant integer,
      attempts integer NOT NULL DEFAULT 0 CONSTRAINT outbox_attempts_check CHECK (attempts >= 0),
      claimed_by text,
      claimed_at timestamptz,
      not_before timestamptz,
      provider text,
      provider_message_id text,
      provider_address text,
      sent_at timestamptz,
      delivered_at timestamptz,
      read_at timestamptz,
      failed_at timestamptz,
      error_class text CONSTRAINT outbox_error_class_check CHECK (error_class IN (
        'retryable', 'rate_limited', 'permanent', 'needs_template', 'stop_sending')),
      error_code text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT outbox_step_key UNIQUE (campaign_uid, contact_id, phone_id, step),
      CONSTRAINT outbox_reply_key UNIQUE (inbound_id, purpose),
      CONSTRAINT outbox_kind_shape_check CHECK (
        (kind = 'reply' AND inbound_id IS NOT NULL AND purpose IS NOT NULL AND step IS NULL)
        OR (kind <> 'reply' AND step IS NOT NULL AND inbound_id IS NULL AND purpose IS NULL)),
      CONSTRAINT outbox_provider_message_check CHECK (provider_message_id IS NULL OR provider IS NOT NULL)
    );
    CREATE UNIQUE INDEX outbox_provider_message_key ON outbox (provider, provider_message_id)
      WHERE provider_message_id IS NOT NULL;
    CREATE INDEX outbox_pending_idx ON outbox (campaign_uid, not_before, id) WHERE state = 'pending';
    CREATE INDEX outbox_claimed_idx ON outbox (claimed_at) WHERE state = 'claimed';
    CREATE INDEX outbox_uncertain_idx ON outbox (campaign_uid, id) WHERE state = 'uncertain';
    CREATE INDEX outbox_contact_idx ON outbox (contact_id);
    CREATE INDEX outbox_phone_idx ON outbox (phone_id);

    CREATE TABLE delivery_events (
      id bigserial PRIMARY KEY,
      provider text NOT NULL,
      provider_message_id text NOT NULL,
      status text NOT NULL
        CONSTRAINT delivery_events_status_check CHECK (status IN ('sent', 'delivered', 'read', 'failed')),
      occurred_at timestamptz NOT NULL,
      error_code text,
      received_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT delivery_events_key UNIQUE (provider, provider_message_id, status)
    );
    CREATE INDEX delivery_events_received_idx ON delivery_events (received_at);

    -- The state an outbox row ends in when "proposed" is written over "current".
    CREATE FUNCTION outbox_merge_state(current_state text, proposed text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
      SELECT CASE
        WHEN current_state = proposed THEN current_state
        WHEN current_state IN ('sent', 'delivered', 'read') THEN
          CASE
            WHEN proposed IN ('sent', 'delivered', 'read') THEN
              CASE WHEN array_position(ARRAY['sent', 'delivered', 'read'], proposed)
                      > array_position(ARRAY['sent', 'delivered', 'read'], current_state)
                   THEN proposed ELSE current_state END
            WHEN proposed = 'failed' AND current_state = 'sent' THEN 'failed'
            ELSE current_state
          END
        WHEN current_state = 'failed' AND proposed = 'sent' THEN current_state
        ELSE proposed
      END
    $$;

    -- One delivery event applied to an outbox row: the state merged, the event's time kept once.
    CREATE FUNCTION outbox_with_event(o outbox, status text, occurred_at timestamptz, error_code text)
    RETURNS outbox LANGUAGE plpgsql IMMUTABLE AS $$
    DECLARE
      merged text := outbox_merge_state(o.state, status);
    BEGIN
      IF status IN ('sent', 'delivered', 'read') THEN
        o.sent_at := COALESCE(o.sent_at, occurred_at);
      END IF;
      IF status = 'delivered' THEN
        o.delivered_at := COALESCE(o.delivered_at, occurred_at);
      END IF;
      IF status = 'read' THEN
        o.read_at := COALESCE(o.read_at, occurred_at);
      END IF;
      IF status = 'failed' AND merged = 'failed' THEN
        o.failed_at := COALESCE(o.failed_at, occurred_at);
        o.error_code := COALESCE(error_code, o.error_code);
      END IF;
      o.state := merged;
      RETURN o;
    END $$;

    -- Lock shared by the two ways an event meets its row (event first or message id first), so
    -- neither misses the other.
    CREATE FUNCTION lock_provider_message(provider text, provider_message_id text) RETURNS void
    LANGUAGE sql AS $$
      SELECT pg_advisory_xact_lock(hashtextextended(provider || ':' || provider_message_id, 7));
    $$;

    CREATE FUNCTION outbox_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      ev record;
    BEGIN
      IF TG_OP = 'UPDATE' THEN
        NEW.state := outbox_merge_state(OLD.state, NEW.state);
        NEW.updated_at := now();
      END IF;
      -- A message id just linked: apply the events that arrived before it.
      IF NEW.provider_message_id IS NOT NULL AND (TG_OP = 'INSERT'
          OR OLD.provider_message_id IS DISTINCT FROM NEW.provider_message_id
          OR OLD.provider IS DISTINCT FROM NEW.provider) THEN
        PERFORM lock_provider_message(NEW.provider, NEW.provider_message_id);
        FOR ev IN
          SELECT d.status, d.occurred_at, d.error_code FROM delivery_events d
          WHERE d.provider = NEW.provider AND d.provider_message_id = NEW.provider_message_id
          ORDER BY d.occurred_at, d.id
        LOOP
          NEW := outbox_with_event(NEW, ev.status, ev.occurred_at, ev.error_code);
        END LOOP;
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER outbox_before_write BEFORE INSERT OR UPDATE ON outbox
      FOR EACH ROW EXECUTE FUNCTION outbox_before_write();

    CREATE FUNCTION delivery_events_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      o outbox;
    BEGIN
      PERFORM lock_provider_message(NEW.provider, NEW.provider_message_id);
      SELECT * INTO o FROM outbox
        WHERE provider = NEW.provider AND provider_message_id = NEW.provider_message_id
        FOR UPDATE;
      IF NOT FOUND THEN
        RETURN NULL;
      END IF;
      o := outbox_with_event(o, NEW.status, NEW.occurred_at, NEW.error_code);
      UPDATE outbox SET state = o.state, sent_at = o.sent_at, delivered_at = o.delivered_at,
        read_at = o.read_at, failed_at = o.failed_at, error_code = o.error_code
      WHERE id = o.id;
      RETURN NULL;
    END $$;
    CREATE TRIGGER delivery_events_apply AFTER INSERT ON delivery_events
      FOR EACH ROW EXECUTE FUNCTION delivery_events_apply();
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
    DROP TABLE delivery_events;
    DROP TRIGGER outbox_before_write ON outbox;
    DROP FUNCTION delivery_events_apply();
    DROP FUNCTION outbox_before_write();
    DROP FUNCTION outbox_with_event(outbox, text, timestamptz, text);
    DROP TABLE outbox, inbound_messages;
    DROP FUNCTION lock_provider_message(text, text);
    DROP FUNCTION outbox_merge_state(text, text);
  `);
}
