import { Layout, type PageProps } from "../layout";

export function AuditLogPage(props: PageProps) {
  return (
    <Layout {...props} title="Your audit log" page="auditLog" signedIn={true}>
      <section aria-labelledby="events-heading">
        <h2 id="events-heading">Events, newest first</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Event</th>
                <th scope="col">IP address</th>
              </tr>
            </thead>
            <tbody id="audit-events" />
          </table>
        </div>
        <button type="button" id="load-more" class="secondary" hidden>
          Load more
        </button>
      </section>
    </Layout>
  );
}
