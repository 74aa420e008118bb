// The monthly routine of a partner (docs/api.md, "Routine mensuelle d'un partenaire"), with
// the TypeScript client openapi-generator's typescript-fetch generates from /api/schema/
// (into ./generated) and Node's fetch: no hand-written HTTP. Same settings as the Python
// routine: ARTISANAT_API, ARTISANAT_UTILISATEUR, ARTISANAT_MOT_DE_PASSE,
// ARTISANAT_DERNIER_PASSAGE, ARTISANAT_CHIFFRES (a JSON file of bulk rows).
// tests/clients/test_generated_clients.py compiles it (tsc --strict) and runs it against a
// live server.
import {
  AuthApi,
  Configuration,
  IndicatorsApi,
  Measurement,
  MeasurementsApi,
  BulkRowRequestFromJSON,
  MeasurementStatusEnum,
  ResponseError,
  serializeDate,
} from "./generated";

// Node's globals, without @types/node.
declare const process: { env: Record<string, string | undefined>; exitCode?: number };
declare function require(name: "node:fs"): { readFileSync(path: string, encoding: "utf-8"): string };

interface Row {
  indicator: string;
  period_start: string;
  period_end: string;
  value: string;
  source: string;
}

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

function check(condition: boolean, what: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${what}`);
}

const key = (indicator: string, start: string | Date, end: string | Date): string =>
  [indicator, day(start), day(end)].join("/");

function day(value: string | Date): string {
  return typeof value === "string" ? value : serializeDate(value);
}

async function main(): Promise<void> {
  const basePath = setting("ARTISANAT_API");
  const lastRun = new Date(setting("ARTISANAT_DERNIER_PASSAGE"));
  const rows: Row[] = JSON.parse(require("node:fs").readFileSync(setting("ARTISANAT_CHIFFRES"), "utf-8"));
  const start = new Date();

  // 1. The token, then a configuration that sends it with every request.
  const token = await new AuthApi(new Configuration({ basePath })).authTokenCreate({
    tokenCredentialsRequest: { username: setting("ARTISANAT_UTILISATEUR"), password: setting("ARTISANAT_MOT_DE_PASSE") },
  });
  const configuration = new Configuration({ basePath, accessToken: token.token });
  const indicators = new IndicatorsApi(configuration);
  const measurements = new MeasurementsApi(configuration);

  // 2. The indicators my organisation reports: every row of the file is one of them.
  const mine = await indicators.indicatorsList({
    reportingOrganisationAcronym: token.organisation ?? undefined,
    pageSize: 100,
  });
  const myCodes = new Set(mine.results.map((indicator) => indicator.code));
  check(
    rows.every((row) => myCodes.has(row.indicator)),
    `every row's indicator is mine (${[...myCodes]})`,
  );

  // 4 (first, to know which rows are corrections): the values returned since the last run.
  const returned = (
    await measurements.measurementsList({
      status: [MeasurementStatusEnum.Returned],
      updatedSince: lastRun,
      pageSize: 200,
    })
  ).results;
  const toCorrect = new Map<string, Measurement>(
    returned.map((m) => [key(m.indicatorCode, m.periodStart, m.periodEnd), m]),
  );
  for (const m of returned) console.log(`Renvoyée : ${m.indicatorCode} ${day(m.periodStart)} : ${m.statusReason}`);

  // 3. The new rows in one bulk submission, submitted at once, with an idempotency key;
  // the same submission again replays the first answer without creating anything.
  const fresh = rows.filter((row) => !toCorrect.has(key(row.indicator, row.period_start, row.period_end)));
  const bulk = {
    bulkSubmissionRequest: { rows: fresh.map((row) => BulkRowRequestFromJSON(row)) },
    submit: true,
    idempotencyKey: `${token.organisation}-ts-${start.getTime()}`,
  };
  const sent = await measurements.measurementsBulkCreateRaw(bulk);
  const result = await sent.value();
  check(sent.raw.status === 201 && result.created === fresh.length, "bulk: 201, one measurement per new row");
  check(result.status === MeasurementStatusEnum.Submitted, "bulk: submitted");
  const replay = await measurements.measurementsBulkCreateRaw(bulk);
  const replayed = await replay.value();
  check(replay.raw.headers.get("Idempotent-Replayed") === "true", "replay: Idempotent-Replayed: true");
  check(JSON.stringify(replayed.ids) === JSON.stringify(result.ids), "replay: the same ids");

  // 5. Correct a returned value: PATCH with its ETag in If-Match. On 412 (changed
  // meanwhile, or the script run again), read it again and retry with the new ETag
  // unless it already holds the right value.
  async function correct(id: number, etag: string, row: Row): Promise<[Measurement, string, number]> {
    let conflicts = 0;
    for (;;) {
      try {
        const answer = await measurements.measurementsPartialUpdateRaw({
          id,
          ifMatch: etag,
          patchedMeasurementRequest: { value: row.value, source: row.source, changeReason: "Correction après renvoi" },
        });
        return [await answer.value(), answer.raw.headers.get("ETag") ?? "", conflicts];
      } catch (error) {
        if (!(error instanceof ResponseError) || error.response.status !== 412 || conflicts > 0) throw error;
        conflicts += 1;
        const read = await measurements.measurementsRetrieveRaw({ id });
        const current = await read.value();
        etag = read.raw.headers.get("ETag") ?? "";
        if (Number(current.value) === Number(row.value) && current.source === row.source)
          return [current, etag, conflicts];
      }
    }
  }

  const corrected: number[] = [];
  for (const row of rows) {
    const m = toCorrect.get(key(row.indicator, row.period_start, row.period_end));
    if (m === undefined) continue;
    const before = (await measurements.measurementsRetrieveRaw({ id: m.id })).raw.headers.get("ETag") ?? "";
    const [changed, etag, conflicts] = await correct(m.id, before, row);
    check(conflicts === 0 && Number(changed.value) === Number(row.value), "correction saved");
    check(changed.version === m.version + 1, "correction: one new version");
    const [again, etagAgain, conflictsAgain] = await correct(m.id, before, row);
    check(conflictsAgain === 1 && again.version === changed.version && etagAgain === etag, "stale ETag: 412, nothing rewritten");
    const submitted = await measurements.measurementsSubmitCreate({ id: m.id, ifMatch: etag });
    check(submitted.status === MeasurementStatusEnum.Submitted, "corrected value submitted");
    corrected.push(m.id);
  }

  // What changed during this run: everything is submitted for validation.
  const changed = (
    await measurements.measurementsList({
      status: [MeasurementStatusEnum.Submitted],
      updatedSince: start,
      pageSize: 200,
    })
  ).results;
  const expected = new Set([...result.ids, ...corrected]);
  check(changed.length === expected.size && changed.every((m) => expected.has(m.id)), "all submitted");
  console.log(`${result.ids.length} valeur(s) envoyée(s), ${corrected.length} corrigée(s), toutes soumises.`);
}

main().catch((error: unknown) => {
  console.error(error);
  if (error instanceof ResponseError) error.response.text().then((body) => console.error(error.response.status, body));
  process.exitCode = 1;
});
