/**
 * A response body written piece by piece from an async generator of JSON text. Each piece is
 * produced only when the client has read the previous one (pull, not push), so a slow reader
 * never makes the Worker hold more than a piece or two, whatever the size of the document.
 */
export function jsonStream(pieces: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await pieces.return(undefined);
    },
  });
}

export interface Pages<Row, Position> {
  /** At most `pageSize` rows after `after` (from the start when undefined), in a stable order. */
  page: (after: Position | undefined) => Promise<Row[]>;
  pageSize: number;
  positionOf: (row: Row) => Position;
}

/** The rows of a keyset-paged query, one page at a time; a page shorter than `pageSize` is the last. */
export async function* pagesOf<Row, Position>({ page, pageSize, positionOf }: Pages<Row, Position>) {
  let after: Position | undefined;
  for (;;) {
    const rows = await page(after);
    if (rows.length > 0) yield rows;
    const last = rows.at(-1);
    if (rows.length < pageSize || last === undefined) return;
    after = positionOf(last);
  }
}

/** A JSON array of a paged query's rows, each shown through `view`: one piece of text per page. */
export async function* jsonArrayByPages<Row, Position>(
  pages: Pages<Row, Position>,
  view: (row: Row) => unknown,
): AsyncGenerator<string> {
  yield "[";
  let separator = "";
  for await (const rows of pagesOf(pages)) {
    yield separator + rows.map((row) => JSON.stringify(view(row))).join(",");
    separator = ",";
  }
  yield "]";
}
