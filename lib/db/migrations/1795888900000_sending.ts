/**
 * What sending, routing webhooks and follow-up runs need beyond the patient and message tables:
 * - outbound_echoes: the provider's own word that a message went out (Evolution `send.message`, Meta
 *   statuses carrying our correlation id), used to resolve a send whose worker died between the provider
 *   accepting it and the outbox recording it (docs/sending.md, "Sends interrupted by a crash");
 * - webhook_routes: which Campaign's Secret authenticates a provider channel's webhooks in a namespace;
 * - follow_up_runs: the results of each FollowUpSchedule run, read back into its status;
 * - contacts.decline_reason_text: the patient's own words when the reason chose no option;
 * - contacts.first_contacted_at: when the first message went out (follow-up delays count from it);
 * - campaigns.spec and friends: the controller's snapshot of the Campaign's spec (no patient data in it),
 *   so workers never call the Kubernetes API on the hot path; `suspended` and `send_blocked_*` are the
 *   pause flags workers honour and set;
 * - outbox.template: the Meta-approved template (name, language, parameters) when one is sent instead of
 *   free text.
 */
import type { MigrationBuilder } from "node-pg-migrate";

export function up(pgm: MigrationBuilder): void {
  pgm.sql(`
    ALTER TABLE contacts ADD COLUMN decline_reason_text text;
    ALTER TABLE contacts ADD COLUMN first_contacted_at timestamptz;
    CREATE INDEX contacts_follow_up_first_contact_idx ON contacts (campaign_uid, follow_up_step, first_contacted_at)
      WHERE state = 'sent';

    ALTER TABLE campaigns ADD COLUMN spec jsonb;
    ALTER TABLE campaigns ADD COLUMN spec_generation bigint NOT NULL DEFAULT 0;
    ALTER TABLE campaigns ADD COLUMN suspended boolean NOT NULL DEFAULT false;
    ALTER TABLE campaigns ADD COLUMN send_blocked_reason text;
    ALTER TABLE campaigns ADD COLUMN send_blocked_at timestamptz;
    -- Pacing state: the latest planned first-message time and how many contacts were planned in all.
    ALTER TABLE campaigns ADD COLUMN last_slot_at timestamptz;
    ALTER TABLE campaigns ADD COLUMN planned_contacts bigint NOT NULL DEFAULT 0;

    ALTER TABLE outbox ADD COLUMN template jsonb;

    -- Where an inbound message came in (the webhook route's namespace) and what the provider said of its
    -- sender beyond the address, for matching.
    ALTER TABLE inbound_messages ADD COLUMN namespace text NOT NULL DEFAULT '';
    ALTER TABLE inbound_messages ADD COLUMN from_e164 text;
    ALTER TABLE inbound_messages ADD COLUMN from_lid text;
    CREATE INDEX inbound_messages_sender_idx ON inbound_messages (provider, instance, from_address, received_at)
      WHERE processed_at IS NULL;

    CREATE TABLE outbound_echoes (
      id bigserial PRIMARY KEY,
      provider text NOT NULL,
      channel text NOT NULL,
      provider_message_id text NOT NULL,
      to_address text,
      body_sha256 text CONSTRAINT outbound_echoes_body_check CHECK (body_sha256 ~ '^[0-9a-f]{64}$'),
      correlation_id text,
      at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT outbound_echoes_key UNIQUE (provider, provider_message_id)
    );
    CREATE INDEX outbound_echoes_correlation_idx ON outbound_echoes (correlation_id)
      WHERE correlation_id IS NOT NULL;
    CREATE INDEX outbound_echoes_address_idx ON outbound_echoes (provider, channel, to_address, at);
    CREATE INDEX outbound_echoes_received_idx ON outbound_echoes (received_at);

    CREATE TABLE webhook_routes (
      provider text NOT NULL,
      namespace text NOT NULL,
      channel text NOT NULL,
      campaign_uid uuid NOT NULL REFERENCES campaigns (uid) ON DELETE CASCADE,
      secret_name text NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, namespace, channel, campaign_uid)
    );
    CREATE INDEX webhook_routes_lookup_idx ON webhook_routes (provider, namespace, channel, updated_at DESC);

    -- The last connection check of each sender (provider, namespace, channel), made by the outbound workers
    -- (they hold the credentials); the controller pauses campaigns whose sender is not connected.
    CREATE TABLE sender_health (
      provider text NOT NULL,
      namespace text NOT NULL,
      channel text NOT NULL,
      state text NOT NULL CONSTRAINT sender_health_state_check CHECK (state IN ('open', 'connecting', 'close', 'error')),
      detail text,
      checked_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, namespace, channel)
    );

    -- Patient lists imported with \`busca-ativa import\`, kept as the file itself so a Campaign's
    -- audience.listRef imports exactly what was checked.
    CREATE TABLE patient_lists (
      namespace text NOT NULL,
      name text NOT NULL,
      format text NOT NULL CONSTRAINT patient_lists_format_check CHECK (format IN ('csv', 'xlsx')),
      content bytea NOT NULL,
      checksum text NOT NULL,
      report jsonb,
      imported_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (namespace, name)
    );

    CREATE TABLE follow_up_runs (
      id bigserial PRIMARY KEY,
      schedule_uid uuid NOT NULL,
      namespace text NOT NULL,
      name text NOT NULL,
      started_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      due integer NOT NULL DEFAULT 0,
      queued integer NOT NULL DEFAULT 0,
      released integer NOT NULL DEFAULT 0,
      skipped integer NOT NULL DEFAULT 0,
      error text
    );
    CREATE INDEX follow_up_runs_schedule_idx ON follow_up_runs (schedule_uid, id DESC);
  `);
}

export function down(pgm: MigrationBuilder): void {
  pgm.sql(`
    DROP TABLE follow_up_runs, sender_health, patient_lists, webhook_routes, outbound_echoes;
    DROP INDEX inbound_messages_sender_idx;
    ALTER TABLE inbound_messages DROP COLUMN from_lid, DROP COLUMN from_e164, DROP COLUMN namespace;
    ALTER TABLE outbox DROP COLUMN template;
    ALTER TABLE campaigns DROP COLUMN planned_contacts, DROP COLUMN last_slot_at, DROP COLUMN send_blocked_at, DROP COLUMN send_blocked_reason,
      DROP COLUMN suspended, DROP COLUMN spec_generation, DROP COLUMN spec;
    DROP INDEX contacts_follow_up_first_contact_idx;
    ALTER TABLE contacts DROP COLUMN first_contacted_at, DROP COLUMN decline_reason_text;
  `);
}
