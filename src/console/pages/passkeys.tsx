import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

/** Add a passkey (the browser's own dialog), and list, rename or remove them. */
export function PasskeysPage(props: PageProps) {
  return (
    <Layout {...props} title="Passkeys" page="passkeys" signedIn={true}>
      <section aria-labelledby="add-passkey-heading">
        <h2 id="add-passkey-heading">Add a passkey</h2>
        <p>
          A passkey signs you in with your device's screen lock or a security key: no password, and no code from your
          authenticator app.
        </p>
        <form id="add-passkey-form" method="post">
          <Field
            id="passkey-name"
            label="Name"
            hint="So that you can tell your passkeys apart, for example: Work laptop."
            required={false}
          />
          <Field
            id="passkey-password"
            label="Current password"
            type="password"
            autocomplete="current-password"
            hint="Needed unless you signed in less than 5 minutes ago."
            required={false}
          />
          <button type="submit" id="add-passkey">
            Add a passkey
          </button>
        </form>
      </section>
      <section aria-labelledby="passkeys-heading">
        <h2 id="passkeys-heading">Your passkeys</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Added</th>
                <th scope="col">Last used</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody id="passkeys" />
          </table>
        </div>
      </section>
    </Layout>
  );
}
