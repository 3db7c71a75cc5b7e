import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { accessMatrixTable } from "./access-matrix-table";
import { api, expectProblem, login, type RegisteredUser, registerUser } from "./api";
import { type CreatedKey, createKey } from "./api-keys";
import { createTeam } from "./fixtures";
import { asOperator } from "./operator";
import { readOutbox, tokenFromMail } from "./outbox";
import { teamWithEveryRole } from "./teams";

/** The callers of the matrix, in the table's column order (see access-matrix-table.ts). */
export const principals = [
  "anonymous",
  "otherUser",
  "otherTeamOwner",
  "viewer",
  "member",
  "admin",
  "owner",
  "key_read",
  "key_generate",
  "key_manage",
  "viewerKey",
  "operator",
] as const;
export type Principal = (typeof principals)[number];

const columnNames: Record<string, Principal> = {
  anon: "anonymous",
  user: "otherUser",
  uOwner: "otherTeamOwner",
  viewer: "viewer",
  member: "member",
  admin: "admin",
  owner: "owner",
  kRead: "key_read",
  kGen: "key_generate",
  kMng: "key_manage",
  vKey: "viewerKey",
  op: "operator",
};

export const areas = [
  "images",
  "collections",
  "teams",
  "auth",
  "account",
  "keys-sessions",
  "public",
  "operator",
] as const;
export type Area = (typeof areas)[number];

export interface MatrixRow {
  /** `METHOD /path` with the target in brackets when the route has several rows. */
  key: string;
  /** `METHOD /path` as the route declares it (OpenAPI path syntax). */
  route: string;
  area: Area;
  expected: Record<Principal, number>;
}

/** The table of access-matrix-table.ts as rows; throws on any malformed line. */
export function parseAccessMatrix(text = accessMatrixTable): MatrixRow[] {
  const rows: MatrixRow[] = [];
  let header: Principal[] | undefined;
  let area: Area | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("|-")) continue;
    if (line.startsWith("## ")) {
      const name = line.slice(3).trim();
      if (!(areas as readonly string[]).includes(name)) throw new Error(`unknown area ${name}`);
      area = name as Area;
      continue;
    }
    const cells = line
      .split("|")
      .slice(1, -1)
      .map((cell) => cell.trim());
    const [first, ...rest] = cells;
    if (first === "route") {
      header = rest.map((name) => {
        const principal = columnNames[name];
        if (!principal) throw new Error(`unknown column ${name}`);
        return principal;
      });
      if (header.join() !== principals.join()) throw new Error("the columns must be in principal order");
      continue;
    }
    if (!header || !area || !first) throw new Error(`table line outside a section: ${line}`);
    const match = /^([A-Z]+) (\S+)(?: \[.+\])?$/.exec(first);
    if (!match || rest.length !== header.length) throw new Error(`malformed row: ${line}`);
    const expected = Object.fromEntries(
      header.map((principal, index) => {
        const status = Number(rest[index]);
        if (!Number.isInteger(status) || status < 200 || status > 599) throw new Error(`bad status in ${line}`);
        return [principal, status];
      }),
    ) as Record<Principal, number>;
    rows.push({ key: first, route: `${match[1]} ${match[2]}`, area, expected });
  }
  return rows;
}

/** The fixture every matrix file shares (each file gets its own, as storage is per file). */
export interface World {
  /** Team T: `owner`, `admin`, `member`, `viewer`. */
  teamId: string;
  owner: RegisteredUser;
  admin: RegisteredUser;
  member: RegisteredUser;
  viewer: RegisteredUser;
  /** A registered user in no team. */
  otherUser: RegisteredUser;
  /** The owner of team U, who is not in T. */
  otherTeamOwner: RegisteredUser;
  otherTeamId: string;
  /**
   * The owner's single-scope keys, and the viewer's key with every scope. The owner's, because
   * the owner's role allows every team action and owns every object: in those columns the scope
   * is the only thing that can refuse, so they show that each scope is enforced. The viewer's
   * every-scope key shows the other half: a key never does more than its user's role allows.
   */
  keys: Record<"key_read" | "key_generate" | "key_manage" | "viewerKey", CreatedKey>;
}

/** A custom limit high enough that the matrix never meets the per-user rate limit (100/min). */
export async function liftRateLimit(userId: string) {
  const response = await asOperator("PATCH", `/v1/admin/users/${userId}`, {
    body: { plan: "enterprise", rateLimitPerMinute: 10_000 },
  });
  expect(response.status).toBe(200);
}

export async function createWorld(): Promise<World> {
  const team = await teamWithEveryRole();
  const [otherUser, otherTeamOwner] = await Promise.all([registerUser(), registerUser()]);
  const { id: otherTeamId } = await createTeam(otherTeamOwner.token, "Rival studio");
  await Promise.all(
    [team.owner, team.admin, team.member, team.viewer, otherUser, otherTeamOwner].map((user) => liftRateLimit(user.id)),
  );
  const [keyRead, keyGenerate, keyManage, viewerKey] = await Promise.all([
    createKey(team.owner.token, { name: "read only", scopes: ["read"] }),
    createKey(team.owner.token, { name: "generate only", scopes: ["generate"] }),
    createKey(team.owner.token, { name: "manage only", scopes: ["manage"] }),
    createKey(team.viewer.token, { name: "viewer, every scope", scopes: ["read", "generate", "manage"] }),
  ]);
  return {
    ...team,
    otherUser,
    otherTeamOwner,
    otherTeamId,
    keys: { key_read: keyRead, key_generate: keyGenerate, key_manage: keyManage, viewerKey },
  };
}

/** Creates the world in a `beforeAll` of the calling file; the getter is valid inside tests. */
export function useWorld(): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await createWorld();
  }, 120_000);
  return () => {
    if (!world) throw new Error("the world is created in beforeAll");
    return world;
  };
}

const isKey = (principal: Principal) => principal.startsWith("key_") || principal === "viewerKey";

/** The Authorization bearer a principal sends (undefined: none). */
export function credentialOf(world: World, principal: Principal): string | undefined {
  switch (principal) {
    case "anonymous":
      return undefined;
    case "operator":
      return env.ADMIN_TOKEN;
    case "key_read":
    case "key_generate":
    case "key_manage":
    case "viewerKey":
      return world.keys[principal].key;
    default:
      return world[principal].token;
  }
}

/** The user a principal acts as: a key acts as its user; anonymous and the operator as nobody. */
export function actorOf(world: World, principal: Principal): RegisteredUser | undefined {
  if (principal === "anonymous" || principal === "operator") return undefined;
  if (principal === "viewerKey") return world.viewer;
  if (isKey(principal)) return world.owner;
  return world[principal as "owner"];
}

/**
 * The token of the invitation mailed to `email` into the team named `teamName`. Waits longer than
 * helpers/outbox.ts does: many cells invite at once, and the mail is stored after the response.
 */
export async function invitationToken(email: string, teamName: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const mail = (await readOutbox(email)).find((entry) => entry.text.includes(`"${teamName}"`));
      if (!mail) throw new Error(`no invitation to ${teamName} for ${email} yet`);
      return tokenFromMail(mail);
    },
    { timeout: 15_000, interval: 50 },
  );
}

/**
 * The matrix sends more invitations than the caps allow in a day (20 per team, 3 per address;
 * they are tested in api5-team-roles.test.ts): this forgets the sends so far, as a day passing would.
 */
export async function forgetInvitationSends() {
  await env.DB.prepare("DELETE FROM invitation_sends").run();
}

/** `member` joins the team through an invitation from `inviter`, as any member does. */
export async function joinTeam(inviter: RegisteredUser, teamId: string, member: RegisteredUser, role: string) {
  await forgetInvitationSends();
  const invited = await api("POST", `/v1/teams/${teamId}/invitations`, {
    token: inviter.token,
    body: { email: member.email, role },
  });
  expect(invited.status).toBe(201);
  const team = await api("GET", `/v1/teams/${teamId}`, { token: inviter.token });
  const { name } = (await team.json()) as { name: string };
  const accepted = await api("POST", "/v1/invitations/accept", {
    token: member.token,
    body: { token: await invitationToken(member.email, name) },
  });
  expect(accepted.status).toBe(200);
}

export interface StandIn {
  credential: string | undefined;
  actor: RegisteredUser | undefined;
}

const keyScopes: Record<string, string[]> = {
  key_read: ["read"],
  key_generate: ["generate"],
  key_manage: ["manage"],
  viewerKey: ["read", "generate", "manage"],
};

/**
 * A disposable caller in the same position as `principal`, for cells that use up their caller
 * (log out everywhere, change the password, erase the account): a fresh user who joined T with
 * the same role, a fresh unrelated user, a fresh owner of another team, or a key with the same
 * scopes of a fresh co-owner (of a fresh viewer for `viewerKey`).
 */
export async function standIn(world: World, principal: Principal): Promise<StandIn> {
  switch (principal) {
    case "anonymous":
    case "operator":
      return { credential: credentialOf(world, principal), actor: undefined };
    case "otherUser": {
      const user = await registerUser();
      return { credential: user.token, actor: user };
    }
    case "otherTeamOwner": {
      const user = await registerUser();
      await createTeam(user.token, "Another rival studio");
      return { credential: user.token, actor: user };
    }
    case "viewer":
    case "member":
    case "admin":
    case "owner": {
      const user = await registerUser();
      await joinTeam(world.owner, world.teamId, user, principal);
      return { credential: user.token, actor: user };
    }
    default: {
      const { actor } = await standIn(world, principal === "viewerKey" ? "viewer" : "owner");
      if (!actor) throw new Error("a stand-in role has a user");
      const key = await createKey(actor.token, { name: `stand-in ${principal}`, scopes: keyScopes[principal] });
      return { credential: key.key, actor };
    }
  }
}

export interface Cell {
  principal: Principal;
  /** The status the table expects. */
  status: number;
  /** The table says this caller may do it (2xx). */
  allowed: boolean;
  world: World;
  /** The principal's bearer (undefined for anonymous). */
  credential: string | undefined;
  /** Whom the principal acts as (the owner for the owner's keys). */
  actor: RegisteredUser | undefined;
  /** Unique per cell: for names, prompts and emails that a later check can look for. */
  label: string;
}

export interface CellRequest {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  ip?: string;
  /** Sent instead of the principal's credential (a stand-in's, or a fresh session's). */
  credential?: string | undefined;
  /** Problem codes, by status, where the table's status does not carry its usual code. */
  codes?: Partial<Record<number, string>>;
  /** Runs after the status was checked: proves a refusal changed nothing, or a success did its job. */
  after?: (response: Response) => Promise<void> | void;
}

export type Probe = (cell: Cell) => CellRequest | Promise<CellRequest>;

const usualCodes: Record<number, string> = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
};

async function runCell(world: World, probe: Probe, principal: Principal, status: number) {
  const cell: Cell = {
    principal,
    status,
    allowed: status < 300,
    world,
    credential: credentialOf(world, principal),
    actor: actorOf(world, principal),
    label: `${principal}-${crypto.randomUUID().slice(0, 8)}`,
  };
  const request = await probe(cell);
  const response = await api(request.method, request.path, {
    token: "credential" in request ? request.credential : cell.credential,
    body: request.body,
    ...(request.headers ? { headers: request.headers } : {}),
    ...(request.ip ? { ip: request.ip } : {}),
  });
  if (status >= 400) {
    const code = request.codes?.[status] ?? usualCodes[status];
    if (!code) throw new Error(`no usual problem code for ${status}: name one in the probe`);
    await expectProblem(response, status, code);
    if (code === "unauthorized") expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer /);
  } else if (response.status !== status) {
    expect({ status: response.status, body: await response.text() }).toMatchObject({ status });
  }
  await request.after?.(response);
  if (!response.bodyUsed) await response.arrayBuffer();
}

/** The rows of one area of the table. */
export function matrixRows(area: Area): MatrixRow[] {
  return parseAccessMatrix().filter((row) => row.area === area);
}

/**
 * One test per cell, named after it ("PATCH /v1/images/{id} [T's image] as viewer → 403"). The
 * cells of a row run concurrently; rows run one after the other. `probes` says how to exercise
 * each row of the area (and must cover exactly the area's rows).
 */
export function describeAccessMatrix(area: Area, world: () => World, probes: Record<string, Probe>) {
  const rows = matrixRows(area);
  describe(`access matrix: ${area}`, () => {
    it("probes every row of the table's area, and nothing else", () => {
      expect(Object.keys(probes).sort()).toEqual(rows.map((row) => row.key).sort());
    });
    for (const row of rows) {
      const probe = probes[row.key];
      if (!probe) continue;
      // A plain describe with concurrent tests, not describe.concurrent: vitest runs consecutive
      // concurrent suites together, so rows would overlap (one row's inserts racing another row's
      // limits, e.g. the owner's passkeys against the cap of 20 in POST /v1/me/passkeys).
      describe(row.key, () => {
        for (const principal of principals) {
          const status = row.expected[principal];
          it.concurrent(`${row.key} as ${principal} → ${status}`, () => runCell(world(), probe, principal, status));
        }
      });
    }
  });
}

/** Memoises an async factory: the shared object of a row, made on first use. */
export function once<T>(factory: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= factory();
    return value;
  };
}

/** A scalar from D1, read directly (no request): for "nothing changed" checks. */
export async function scalar<T = number>(sql: string, ...bindings: unknown[]): Promise<T | null> {
  const row = await env.DB.prepare(sql)
    .bind(...bindings)
    .first<{ value: T }>();
  return row ? row.value : null;
}

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** A fresh session of the cell's user (a new login), so the cell cannot end the shared one. */
export async function freshSession(cell: Cell): Promise<string | undefined> {
  if (!cell.actor || isKey(cell.principal)) return cell.credential;
  return login(cell.actor.email, cell.actor.password);
}

/** The cell's own caller, or (`disposable`) a stand-in for cells that use their caller up. */
export async function callerFor(cell: Cell, disposable: boolean): Promise<StandIn> {
  return disposable ? standIn(cell.world, cell.principal) : { credential: cell.credential, actor: cell.actor };
}

/** The status of `GET /v1/me` with `token`: whether a credential still works. */
export async function meStatus(token: string | undefined): Promise<number> {
  const response = await api("GET", "/v1/me", { token });
  await response.arrayBuffer();
  return response.status;
}
