import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";

type AnyGuardStub = DurableObjectStub<Rpc.DurableObjectBranded>;

/**
 * What a guard instance holds: the names of its own SQLite tables (the runtime's `_cf_…` tables,
 * such as the one that keeps the alarm, left out) and its alarm.
 */
export async function storedState(stub: object): Promise<{ tables: string[]; alarm: number | null }> {
  return runInDurableObject(stub as AnyGuardStub, async (_instance, state) => ({
    tables: tableNames(state).filter((name) => !name.startsWith("_cf_")),
    alarm: await state.storage.getAlarm(),
  }));
}

/** True when the instance holds no storage at all: not a table (the runtime's included), no alarm. */
export async function holdsNoStorage(stub: object): Promise<boolean> {
  return runInDurableObject(
    stub as AnyGuardStub,
    async (_instance, state) => tableNames(state).length === 0 && (await state.storage.getAlarm()) === null,
  );
}

/** Runs the guard's alarm now, if one is set (one that was due may already have gone off by itself). */
export async function runAlarm(stub: object): Promise<boolean> {
  return runDurableObjectAlarm(stub as AnyGuardStub);
}

function tableNames(state: DurableObjectState): string[] {
  return state.storage.sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .toArray()
    .map((row) => row.name);
}
