/**
 * `followup run` against the real API server, PostgreSQL and Redis, with a fake `now`: which contacts get
 * which step, on which phone, when, and what never happens twice.
 */
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { installCrds } from "../../crds/install.js";
import { NO_REASON_GIVEN_CODE } from "../../crds/index.js";
import { createPool } from "../../lib/db/pool.js";
import { createLogger } from "../../lib/logger.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { adminKubeConfig, freshNamespace, redisPrefix, testEnv } from "../../test/harness/fixtures.js";
import { freshMigratedDatabase } from "../../test/db.js";
import { runFollowUp } from "./run.js";
import {
  HOUR,
  contactState,
  createCampaign,
  createSchedule,
  markReminderSent,
  recordCampaign,
  reminderRows,
  seedContact,
} from "./testing/fixtures.js";

const logger = createLogger({ component: "followup-test", level: process.env.TEST_LOG_LEVEL ?? "silent" });
/** Wednesday 2026-03-04 10:00 in Fortaleza (UTC-3): inside the default window (08:00-18:00, Mon-Fri). */
const NOW = new Date("2026-03-04T13:00:00Z");
const ago = (hours: number, from = NOW) => new Date(from.getTime() - hours * HOUR);

beforeAll(async () => {
  await installCrds(adminKubeConfig());
});

async function setup() {
  const kc = adminKubeConfig();
  const ns = (await freshNamespace("fu")).value;
  const db = await freshMigratedDatabase();
  const pool = createPool({ connectionString: db.value, max: 4 });
  const producer = new JobProducer({ redisUrl: testEnv().redisUrl, prefix: redisPrefix("fu") });
  onTestFinished(async () => {
    await producer.close();
    await pool.end();
  });
  const run = (name: string, now = NOW) =>
    runFollowUp({ pool, producer, kc, namespace: ns, name, now, logger });
  /** A Campaign in the API server and its campaigns row. */
  const campaign = async (
    name: string,
    options: Parameters<typeof createCampaign>[3] & Parameters<typeof recordCampaign>[2] = {},
  ) => {
    const uid = await createCampaign(kc, ns, name, options);
    await recordCampaign(pool, { uid, namespace: ns, name }, options);
    return uid;
  };
  const sendJobs = async () => {
    const jobs = await producer.queue("send").getJobs(["waiting", "delayed", "prioritized"]);
    return jobs.map((j) => ({ id: j.id, data: j.data, delay: j.opts.delay ?? 0 }));
  };
  return { kc, ns, pool, producer, run, campaign, sendJobs };
}

describe("followup run", () => {
  it("gives each contact exactly the step its age and progress call for (24h, 72h, 96h)", async () => {
    const { pool, run, campaign, sendJobs, kc, ns } = await setup();
    const uid = await campaign("fila-cirurgica", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    await createSchedule(kc, ns, "lembretes");
    const seed = (hours: number, followUpStep: number, name: string) =>
      seedContact(pool, uid, { firstContactedAt: ago(hours), followUpStep, name });
    const tooEarly = await seed(20, 0, "Ana");
    const first = await seed(30, 0, "Bruno");
    const lateFirst = await seed(80, 0, "Carla");
    const second = await seed(80, 1, "Davi");
    const notYetSecond = await seed(70, 1, "Elisa");
    const release = await seed(100, 2, "Fábio");
    const notYetRelease = await seed(90, 2, "Gabi");

    const result = await run("lembretes");

    expect(result).toMatchObject({ due: 4, queued: 4, released: 1, skipped: 0, suspended: false });
    const rows = await reminderRows(pool, uid);
    expect(rows.map((r) => [r.contactId, r.kind, r.step])).toEqual([
      [first.contactId, "follow_up", 1],
      [lateFirst.contactId, "follow_up", 1],
      [second.contactId, "follow_up", 2],
      [release.contactId, "release", 3],
    ]);
    for (const c of [tooEarly, notYetSecond, notYetRelease]) {
      expect(rows.some((r) => r.contactId === c.contactId)).toBe(false);
    }
    expect(rows[0]!.body).toContain("Olá, Bruno!");
    expect(rows[0]!.body).toContain("*Cirurgia de catarata*");
    expect(rows[2]!.body).toContain("ÚLTIMA TENTATIVA");
    expect(rows[3]!.body).toContain("a sua vaga foi liberada");
    expect(rows.every((r) => r.state === "pending" && r.notBefore?.getTime() === NOW.getTime())).toBe(true);

    expect((await contactState(pool, release.contactId)).state).toBe("no_response");
    expect((await contactState(pool, second.contactId)).state).toBe("sent");
    const { rows: audit } = await pool.query(
      "SELECT entity_id, from_state, to_state, actor FROM audit_log WHERE entity = 'contact'",
    );
    expect(audit).toEqual([
      {
        entity_id: String(release.contactId),
        from_state: "sent",
        to_state: "no_response",
        actor: "follow-up",
      },
    ]);

    const jobs = await sendJobs();
    expect(jobs.map((j) => j.id).sort()).toEqual(rows.map((r) => `send.${r.id}.0`).sort());
    for (const job of jobs) expect(Object.keys(job.data).sort()).toEqual(["campaignUid", "outboxId"]);

    const { rows: runs } = await pool.query(
      "SELECT schedule_uid, due, queued, released, skipped, error, finished_at FROM follow_up_runs",
    );
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ due: 4, queued: 4, released: 1, skipped: 0, error: null });
    expect(runs[0].finished_at).toBeInstanceOf(Date);
  });

  it("queues nothing twice when run again, and re-adds a lost send job under its old id", async () => {
    const { pool, run, campaign, sendJobs, kc, ns, producer } = await setup();
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    await createSchedule(kc, ns, "lembretes");
    await seedContact(pool, uid, { firstContactedAt: ago(30) });
    await seedContact(pool, uid, { firstContactedAt: ago(100), followUpStep: 2 });

    const once = await run("lembretes");
    const rowsOnce = await reminderRows(pool, uid);
    const jobsOnce = await sendJobs();
    const twice = await run("lembretes", new Date(NOW.getTime() + HOUR));

    expect(once).toMatchObject({ due: 2, queued: 2, released: 1 });
    expect(twice).toMatchObject({ due: 0, queued: 0, released: 0, skipped: 0 });
    expect(await reminderRows(pool, uid)).toEqual(rowsOnce);
    expect((await sendJobs()).map((j) => j.id).sort()).toEqual(jobsOnce.map((j) => j.id).sort());

    // Redis loses a job: the next run adds it again, under the same id, without a new row.
    await producer.queue("send").remove(jobsOnce[0]!.id!);
    expect(await sendJobs()).toHaveLength(1);
    const third = await run("lembretes", new Date(NOW.getTime() + 2 * HOUR));
    expect(third.queued).toBe(0);
    expect((await sendJobs()).map((j) => j.id).sort()).toEqual(jobsOnce.map((j) => j.id).sort());
  });

  it("sends nothing more to a contact who answered between two steps", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    await createSchedule(kc, ns, "lembretes");
    const answers = await seedContact(pool, uid, { firstContactedAt: ago(30) });
    const silent = await seedContact(pool, uid, { firstContactedAt: ago(30) });

    await run("lembretes");
    for (const row of await reminderRows(pool, uid)) await markReminderSent(pool, row.id, NOW);
    await pool.query("UPDATE contacts SET state = 'confirmed', replied_at = $2 WHERE id = $1", [
      answers.contactId,
      NOW,
    ]);

    const later = new Date(NOW.getTime() + 48 * HOUR); // 78 h after the first message: step 2 is due
    const result = await run("lembretes", later);
    expect(result).toMatchObject({ due: 1, queued: 1 });
    const rows = await reminderRows(pool, uid);
    expect(rows.filter((r) => r.step === 2).map((r) => r.contactId)).toEqual([silent.contactId]);

    // Nor a release: the answered contact is never due again.
    const muchLater = new Date(NOW.getTime() + 96 * HOUR);
    for (const row of await reminderRows(pool, uid))
      if (row.state === "pending") await markReminderSent(pool, row.id, later);
    const final = await run("lembretes", muchLater);
    expect(final).toMatchObject({ due: 1, released: 1 });
    expect((await contactState(pool, answers.contactId)).state).toBe("confirmed");
    expect((await contactState(pool, silent.contactId)).state).toBe("no_response");
  });

  it("does not let an undeliverable reminder hold a contact back: the next step still comes", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    await createSchedule(kc, ns, "lembretes");
    const c = await seedContact(pool, uid, { firstContactedAt: ago(30) });
    await run("lembretes");
    const [first] = await reminderRows(pool, uid);
    await pool.query(
      "UPDATE outbox SET state = 'failed', failed_at = now(), error_class = 'permanent' WHERE id = $1",
      [first!.id],
    );

    // Still inside step 1's time: the failed step is not retried.
    expect(await run("lembretes", new Date(NOW.getTime() + 24 * HOUR))).toMatchObject({ due: 0, queued: 0 });
    const result = await run("lembretes", new Date(NOW.getTime() + 48 * HOUR));
    expect(result).toMatchObject({ due: 1, queued: 1 });
    expect((await reminderRows(pool, uid)).map((r) => [r.contactId, r.step, r.state])).toEqual([
      [c.contactId, 1, "failed"],
      [c.contactId, 2, "pending"],
    ]);
  });

  it("holds back paused, send-blocked, cancelled and completed campaigns", async () => {
    const { pool, run, campaign, kc, ns, sendJobs } = await setup();
    await createSchedule(kc, ns, "lembretes", {
      campaigns: { selector: { matchLabels: { fila: "cirurgica" } } },
    });
    const labels = { fila: "cirurgica" };
    const campaigns = {
      suspendedRow: await campaign("pausada", { labels, suspended: true }),
      suspendedSpec: await campaign("pausada-spec", { labels, spec: { suspend: true } }),
      blocked: await campaign("bloqueada", { labels, sendBlockedReason: "stop_sending:banned" }),
      cancelled: await campaign("cancelada", { labels, state: "cancelled" }),
      completed: await campaign("concluida", { labels, state: "completed" }),
    };
    for (const uid of Object.values(campaigns)) {
      await seedContact(pool, uid, { firstContactedAt: ago(30) });
      await seedContact(pool, uid, { firstContactedAt: ago(100), followUpStep: 2 });
    }

    const result = await run("lembretes");

    expect(result).toMatchObject({ queued: 0, released: 0, due: 6, skipped: 6 });
    const outcomes = Object.fromEntries(result.campaigns.map((c) => [c.name, [c.outcome, c.skipped]]));
    expect(outcomes).toEqual({
      pausada: ["suspended", 2],
      "pausada-spec": ["suspended", 2],
      bloqueada: ["send-blocked", 2],
      cancelada: ["not-active", 0],
      concluida: ["not-active", 0],
    });
    for (const uid of Object.values(campaigns)) expect(await reminderRows(pool, uid)).toEqual([]);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM contacts WHERE state = 'no_response'");
    expect(rows[0].n).toBe(0);
    expect(await sendJobs()).toEqual([]);
  });

  it("puts reminders due outside the window at the next window opening, and delays their jobs to it", async () => {
    const { pool, run, campaign, kc, ns, sendJobs } = await setup();
    await createSchedule(kc, ns, "lembretes");
    const spec = (days: string[]) => ({
      followUpScheduleRef: { name: "lembretes" },
      schedule: { timeZone: "America/Fortaleza", window: { start: "08:00", end: "12:00" }, daysOfWeek: days },
    });
    const weekdays = await campaign("dias-uteis", { spec: spec(["Mon", "Tue", "Wed", "Thu", "Fri"]) });
    const mondays = await campaign("segundas", { spec: spec(["Mon"]) });
    await seedContact(pool, weekdays, { firstContactedAt: ago(30) });
    await seedContact(pool, mondays, { firstContactedAt: ago(30) });

    const evening = new Date("2026-03-04T23:00:00Z"); // Wednesday 20:00 in Fortaleza
    await run("lembretes", evening);

    const thursdayOpening = new Date("2026-03-05T11:00:00Z");
    const mondayOpening = new Date("2026-03-09T11:00:00Z");
    const [weekdayRow] = await reminderRows(pool, weekdays);
    const [mondayRow] = await reminderRows(pool, mondays);
    expect(weekdayRow!.notBefore).toEqual(thursdayOpening);
    expect(mondayRow!.notBefore).toEqual(mondayOpening);
    const delays = Object.fromEntries((await sendJobs()).map((j) => [j.id, j.delay]));
    expect(delays[`send.${weekdayRow!.id}.0`]).toBe(thursdayOpening.getTime() - evening.getTime());
    expect(delays[`send.${mondayRow!.id}.0`]).toBe(mondayOpening.getTime() - evening.getTime());
  });

  it("sends at once outside the window when the schedule does not respect windows", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    await createSchedule(kc, ns, "sempre", { respectWindow: false });
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "sempre" } } });
    await seedContact(pool, uid, { firstContactedAt: ago(30) });
    const evening = new Date("2026-03-04T23:00:00Z");
    await run("sempre", evening);
    expect((await reminderRows(pool, uid))[0]!.notBefore).toEqual(evening);
  });

  it("sends each reminder to one phone: the first by priority that may receive it", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    await createSchedule(kc, ns, "lembretes");
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    const optedOut = "+5585988887777";
    await pool.query("INSERT INTO opt_outs (namespace, e164, source) VALUES ($1, $2, 'operator')", [
      ns,
      optedOut,
    ]);
    const many = await seedContact(pool, uid, {
      firstContactedAt: ago(30),
      phones: [
        { priority: 1, reply: "not_me" },
        { priority: 2, waStatus: "not_registered" },
        { priority: 3, initial: "none" },
        { priority: 4, initial: "failed" },
        { priority: 5, sendable: false },
        { priority: 6, e164: optedOut },
        { priority: 7 },
        { priority: 8 },
      ],
    });
    const two = await seedContact(pool, uid, {
      firstContactedAt: ago(30),
      phones: [{ priority: 2 }, { priority: 1 }],
    });
    const none = await seedContact(pool, uid, { firstContactedAt: ago(30), phones: [{ reply: "not_me" }] });
    const noneFinal = await seedContact(pool, uid, {
      firstContactedAt: ago(100),
      followUpStep: 2,
      phones: [{ waStatus: "not_registered" }],
    });

    const result = await run("lembretes");

    const rows = await reminderRows(pool, uid);
    expect(rows.map((r) => [r.contactId, r.phoneId])).toEqual([
      [many.contactId, many.phoneIds[6]],
      [two.contactId, two.phoneIds[1]],
    ]);
    // No phone for a reminder: left for later; no phone for the release: the slot is released all the same.
    expect(result).toMatchObject({ due: 4, queued: 2, released: 1, skipped: 1 });
    expect((await contactState(pool, none.contactId)).state).toBe("sent");
    expect((await contactState(pool, noneFinal.contactId)).state).toBe("no_response");
  });

  it("closes a decline whose reason never came as declined with reason not-given", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    await createSchedule(kc, ns, "lembretes");
    const byDefault = await campaign("padrao", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    const shortTimeout = await campaign("curto", {
      suspended: true,
      spec: { followUpScheduleRef: { name: "lembretes" }, replies: { declineReason: { timeout: "6h" } } },
    });
    const waiting = (uid: string, hours: number) =>
      seedContact(pool, uid, {
        firstContactedAt: ago(100),
        state: "awaiting_reason",
        awaitingReasonSince: ago(hours),
      });
    const expired = await waiting(byDefault, 49);
    const stillWaiting = await waiting(byDefault, 47);
    const expiredShort = await waiting(shortTimeout, 7);

    const result = await run("lembretes");

    expect(result.declinedWithoutReason).toBe(2);
    expect(await contactState(pool, expired.contactId)).toMatchObject({
      state: "declined",
      declineReason: NO_REASON_GIVEN_CODE,
    });
    expect(await contactState(pool, expiredShort.contactId)).toMatchObject({ state: "declined" });
    expect(await contactState(pool, stillWaiting.contactId)).toMatchObject({
      state: "awaiting_reason",
      declineReason: null,
    });
    expect(await reminderRows(pool, byDefault)).toEqual([]);
  });

  it("follows up the campaigns selected by label, by names or by reference, and no others", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    const uids = {
      labelled: await campaign("rotulada", { labels: { fila: "cirurgica" } }),
      otherLabel: await campaign("outra-fila", { labels: { fila: "exames" } }),
      refOther: await campaign("com-outra", {
        labels: { fila: "cirurgica" },
        spec: { followUpScheduleRef: { name: "outra" } },
      }),
      named: await campaign("nomeada"),
      refByLabel: await campaign("com-ref", { spec: { followUpScheduleRef: { name: "por-rotulo" } } }),
    };
    for (const uid of Object.values(uids)) await seedContact(pool, uid, { firstContactedAt: ago(30) });
    // A Campaign not recorded in PostgreSQL yet is left alone.
    await createCampaign(kc, ns, "nao-registrada", { labels: { fila: "cirurgica" } });
    await createSchedule(kc, ns, "por-rotulo", {
      campaigns: { selector: { matchExpressions: [{ key: "fila", operator: "In", values: ["cirurgica"] }] } },
    });
    await createSchedule(kc, ns, "por-nome", { campaigns: { names: ["nomeada", "inexistente"] } });

    const byLabel = await run("por-rotulo");
    expect(byLabel.campaigns.map((c) => [c.name, c.outcome]).sort()).toEqual([
      ["com-ref", "follow-up"],
      ["nao-registrada", "not-recorded"],
      ["rotulada", "follow-up"],
    ]);
    expect(byLabel.queued).toBe(2);
    const byName = await run("por-nome");
    expect(byName.campaigns.map((c) => c.name)).toEqual(["nomeada"]);
    expect(byName.queued).toBe(1);
    expect(await reminderRows(pool, uids.otherLabel)).toEqual([]);
    expect(await reminderRows(pool, uids.refOther)).toEqual([]);
  });

  it("does nothing for a suspended schedule, and refuses a schedule that does not exist", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    await createSchedule(kc, ns, "pausado", { suspend: true });
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "pausado" } } });
    await seedContact(pool, uid, { firstContactedAt: ago(30) });
    const result = await run("pausado");
    expect(result).toMatchObject({ suspended: true, queued: 0 });
    expect(result.runId).toBeUndefined();
    expect(await reminderRows(pool, uid)).toEqual([]);
    const { rows } = await pool.query("SELECT count(*)::int AS n FROM follow_up_runs");
    expect(rows[0].n).toBe(0);
    await expect(run("inexistente")).rejects.toMatchObject({ code: "FOLLOW_UP_SCHEDULE_NOT_FOUND" });
  });

  it("fills the Meta template's parameters for each contact when the step has one", async () => {
    const { pool, run, campaign, kc, ns } = await setup();
    const step = (name: string, after: string, final = false) => ({
      name,
      afterFirstMessage: after,
      final,
      template: "Olá, {nome}.",
      metaTemplate: {
        name: `lembrete_${name.replace("-", "_")}`,
        bodyParameters: ["{nome}", "{procedimento}"],
      },
    });
    await createSchedule(kc, ns, "meta", { steps: [step("um", "24h"), step("fim", "48h", true)] });
    const uid = await campaign("fila", { spec: { followUpScheduleRef: { name: "meta" } } });
    await seedContact(pool, uid, { firstContactedAt: ago(30), name: "Joana", procedure: "Hérnia" });
    await run("meta");
    const [row] = await reminderRows(pool, uid);
    expect(row!.template).toEqual({
      name: "lembrete_um",
      language: "pt_BR",
      bodyParams: ["Joana", "Hérnia"],
    });
    expect(row!.body).toBe("Olá, Joana.");
  });

  it("works through large campaigns in batches", async () => {
    const { pool, campaign, kc, ns, producer } = await setup();
    await createSchedule(kc, ns, "lembretes");
    const uid = await campaign("grande", { spec: { followUpScheduleRef: { name: "lembretes" } } });
    for (let i = 0; i < 7; i++) await seedContact(pool, uid, { firstContactedAt: ago(30) });
    const result = await runFollowUp({
      pool,
      producer,
      kc,
      namespace: ns,
      name: "lembretes",
      now: NOW,
      logger,
      batchSize: 3,
    });
    expect(result).toMatchObject({ due: 7, queued: 7 });
    expect(await reminderRows(pool, uid)).toHaveLength(7);
  });
});
