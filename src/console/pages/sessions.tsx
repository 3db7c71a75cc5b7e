import { Layout, type PageProps } from "../layout";

export function SessionsPage(props: PageProps) {
  return (
    <Layout {...props} title="Your sessions" page="sessions" signedIn={true}>
      <section aria-labelledby="sessions-heading">
        <h2 id="sessions-heading">Signed-in browsers and apps</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">Last seen</th>
                <th scope="col">IP address</th>
                <th scope="col">Browser or app</th>
                <th scope="col">Kind</th>
                <th scope="col">Sign-in method</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody id="sessions" />
          </table>
        </div>
        <button type="button" id="revoke-other-sessions" class="secondary">
          Sign out all other sessions
        </button>
      </section>
    </Layout>
  );
}
