// Durable emulator state: everything lives in memory for speed and is written through to
// SQLite (WAL, synchronous=FULL) before a request is acknowledged, so kill -9 loses nothing
// that was answered. Mutations mark records dirty; flush() writes them in one transaction.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { scfFailNextKey, scfFunctionKey } from "./scf/records";
import { type ActivityRecord, type EmulatorState, type EnvRecord, type JobRecord, KEYED_STATE_FIELDS, type KeyedKind, type KeyedRecords, type TokenRecord } from "./state";
import { cmqSubscriptionKey, cmqTopicKey } from "./tdmq/records";

type Kind = "env" | "job" | "activity" | "token" | KeyedKind;
type KeyedMaps = { [K in KeyedKind]: Map<string, KeyedRecords[K]> };

const KEY_OF: { [K in KeyedKind]: (r: KeyedRecords[K]) => string } = {
  scfFunction: scfFunctionKey,
  scfFailNext: scfFailNextKey,
  cmqTopic: (t) => cmqTopicKey(t.region, t.topicName),
  cmqSubscription: cmqSubscriptionKey,
};
const KEYED_KINDS = Object.keys(KEY_OF) as KeyedKind[];
const isKeyed = (k: string): k is KeyedKind => k in KEY_OF;
const emptyKeyed = (): KeyedMaps => ({ scfFunction: new Map(), scfFailNext: new Map(), cmqTopic: new Map(), cmqSubscription: new Map() });

export class Store {
  readonly envs = new Map<string, EnvRecord>();
  readonly jobs = new Map<string, JobRecord>();
  /** Activities per env, oldest first. */
  readonly activities = new Map<string, ActivityRecord[]>();
  readonly tokens = new Map<string, TokenRecord>();
  private readonly activityById = new Map<string, ActivityRecord>();
  /** SCF functions and fail-next hooks, CMQ topics and subscriptions: see KEY_OF for their keys. */
  readonly keyed: KeyedMaps = emptyKeyed();

  private readonly db: Database.Database | undefined;
  private readonly dirty = new Map<string, { kind: Kind; id: string; deleted: boolean }>();

  /** `dir` undefined keeps everything in memory (unit tests). */
  constructor(dir?: string) {
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, "batch-emulator.sqlite"));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec("CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))");
    this.load();
  }

  private load(): void {
    if (!this.db) return;
    const rows = this.db.prepare("SELECT kind, id, body FROM records ORDER BY rowid").all() as Array<{ kind: Kind; id: string; body: string }>;
    for (const row of rows) {
      const v = JSON.parse(row.body);
      if (isKeyed(row.kind)) this.keyed[row.kind].set(row.id, v);
      else if (row.kind === "env") this.envs.set(v.id, v);
      else if (row.kind === "job") this.jobs.set(v.id, v);
      else if (row.kind === "token") this.tokens.set(tokenKey(v), v);
      else if (row.kind === "activity") this.pushActivity(v);
    }
    for (const list of this.activities.values()) list.sort((a, b) => a.StartTime.localeCompare(b.StartTime));
  }

  private pushActivity(a: ActivityRecord): void {
    this.activityById.set(a.ActivityId, a);
    let list = this.activities.get(a.EnvId);
    if (!list) {
      list = [];
      this.activities.set(a.EnvId, list);
    }
    list.push(a);
  }

  private mark(kind: Kind, id: string, deleted = false): void {
    this.dirty.set(`${kind}\u0000${id}`, { kind, id, deleted });
  }

  saveEnv(env: EnvRecord): void {
    this.envs.set(env.id, env);
    this.mark("env", env.id);
  }
  deleteEnv(id: string): void {
    this.envs.delete(id);
    this.mark("env", id, true);
  }
  saveJob(job: JobRecord): void {
    this.jobs.set(job.id, job);
    this.mark("job", job.id);
  }
  deleteJob(id: string): void {
    this.jobs.delete(id);
    this.mark("job", id, true);
  }
  addActivity(a: ActivityRecord): void {
    this.pushActivity(a);
    this.mark("activity", a.ActivityId);
  }
  /** Call after changing an activity in place (e.g. setting its EndTime). */
  saveActivity(a: ActivityRecord): void {
    this.mark("activity", a.ActivityId);
  }
  saveToken(t: TokenRecord): void {
    this.tokens.set(tokenKey(t), t);
    this.mark("token", tokenKey(t));
  }
  /** A ClientToken of `region` (tokens are per region); one saved before tokens had a region matches any. */
  getToken(action: string, token: string, region?: string): TokenRecord | undefined {
    return (region === undefined ? undefined : this.tokens.get(tokenKey({ action, token, region }))) ?? this.tokens.get(tokenKey({ action, token }));
  }
  /** Saves a keyed record (call again after changing it in place); returns its key. */
  put<K extends KeyedKind>(kind: K, record: KeyedRecords[K]): string {
    const id = KEY_OF[kind](record);
    this.keyed[kind].set(id, record);
    this.mark(kind, id);
    return id;
  }
  remove(kind: KeyedKind, id: string): void {
    this.keyed[kind].delete(id);
    this.mark(kind, id, true);
  }

  /** Writes every dirty record in one transaction. */
  flush(): void {
    if (this.dirty.size === 0) return;
    if (!this.db) {
      this.dirty.clear();
      return;
    }
    const items = [...this.dirty.values()];
    const upsert = this.db.prepare("INSERT OR REPLACE INTO records (kind, id, body) VALUES (?, ?, ?)");
    const del = this.db.prepare("DELETE FROM records WHERE kind = ? AND id = ?");
    this.db.transaction(() => {
      for (const { kind, id, deleted } of items) {
        const body = deleted ? undefined : this.bodyOf(kind, id);
        if (body === undefined) del.run(kind, id);
        else upsert.run(kind, id, JSON.stringify(body));
      }
    })();
    // Only once committed: if the transaction threw, everything stays dirty for the next flush.
    this.dirty.clear();
  }

  private bodyOf(kind: Kind, id: string): unknown {
    if (isKeyed(kind)) return this.keyed[kind].get(id);
    if (kind === "env") return this.envs.get(id);
    if (kind === "job") return this.jobs.get(id);
    if (kind === "token") return this.tokens.get(id);
    return this.activityById.get(id);
  }

  exportState(): EmulatorState {
    return {
      version: 1,
      envs: [...this.envs.values()],
      jobs: [...this.jobs.values()],
      activities: [...this.activities.values()].flat(),
      tokens: [...this.tokens.values()],
      scfFunctions: [...this.keyed.scfFunction.values()],
      scfFailNext: [...this.keyed.scfFailNext.values()],
      cmqTopics: [...this.keyed.cmqTopic.values()],
      cmqSubscriptions: [...this.keyed.cmqSubscription.values()],
    };
  }

  /** The keyed records of an imported state, with their keys (none for a state that predates them). */
  private keyedRows(state: EmulatorState): Array<{ kind: KeyedKind; id: string; record: unknown }> {
    const rows: Array<{ kind: KeyedKind; id: string; record: unknown }> = [];
    const add = <K extends KeyedKind>(kind: K) => {
      for (const r of (state[KEYED_STATE_FIELDS[kind]] ?? []) as Array<KeyedRecords[K]>) rows.push({ kind, id: KEY_OF[kind](r), record: r });
    };
    for (const kind of KEYED_KINDS) add(kind);
    return rows;
  }

  /** Replaces the whole state (tests set up history this way). */
  importState(state: EmulatorState): void {
    this.envs.clear();
    this.jobs.clear();
    this.activities.clear();
    this.activityById.clear();
    this.tokens.clear();
    this.dirty.clear();
    const keyedRows = this.keyedRows(state);
    for (const kind of KEYED_KINDS) this.keyed[kind].clear();
    for (const { kind, id, record } of keyedRows) (this.keyed[kind] as Map<string, unknown>).set(id, record);
    for (const e of state.envs) this.envs.set(e.id, e);
    for (const j of state.jobs) this.jobs.set(j.id, j);
    for (const a of state.activities) this.pushActivity(a);
    for (const list of this.activities.values()) list.sort((a, b) => a.StartTime.localeCompare(b.StartTime));
    for (const t of state.tokens) this.tokens.set(tokenKey(t), t);
    if (this.db) {
      const db = this.db;
      const insert = db.prepare("INSERT INTO records (kind, id, body) VALUES (?, ?, ?)");
      db.transaction(() => {
        db.exec("DELETE FROM records");
        for (const e of state.envs) insert.run("env", e.id, JSON.stringify(e));
        for (const j of state.jobs) insert.run("job", j.id, JSON.stringify(j));
        for (const a of state.activities) insert.run("activity", a.ActivityId, JSON.stringify(a));
        for (const t of state.tokens) insert.run("token", tokenKey(t), JSON.stringify(t));
        for (const { kind, id, record } of keyedRows) insert.run(kind, id, JSON.stringify(record));
      })();
    }
  }

  close(): void {
    this.flush();
    this.db?.close();
  }
}

const tokenKey = (t: { action: string; token: string; region?: string | undefined }) =>
  `${t.action}\u0000${t.token}${t.region === undefined ? "" : `\u0000${t.region}`}`;
