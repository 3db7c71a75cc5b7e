import { Layout, type PageProps } from "../layout";

/** The provider accounts (GitHub, Google, OpenID) linked to the account: link another, or unlink one. */
export function SignInMethodsPage(props: PageProps) {
  return (
    <Layout {...props} title="Sign-in methods" page="signInMethods" signedIn={true}>
      <section aria-labelledby="identities-heading">
        <h2 id="identities-heading">Linked accounts</h2>
        <p class="hint">
          You can sign in with any of these. The last way to sign in (these, your password, your passkeys) cannot be
          removed.
        </p>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Provider</th>
                <th scope="col">Email at the provider</th>
                <th scope="col">Linked</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody id="identities" />
          </table>
        </div>
      </section>
      <section aria-labelledby="link-heading">
        <h2 id="link-heading">Link another account</h2>
        <p class="hint" id="no-providers" hidden>
          No sign-in provider is set up for this service.
        </p>
        <ul id="link-providers" class="actions" />
      </section>
    </Layout>
  );
}
