import { Check, Field } from "../fields";
import { Layout, type PageProps } from "../layout";

/** Keys are listed by prefix and last four characters; a new key is shown once, from the API's answer. */
export function ApiKeysPage(props: PageProps) {
  return (
    <Layout {...props} title="API keys" page="apiKeys" signedIn={true}>
      <section aria-labelledby="new-key-heading" id="new-key-step" class="once" hidden>
        <h2 id="new-key-heading">Your new key</h2>
        <p>Copy it now: it is shown only this once.</p>
        <p>
          <code id="new-api-key" />
        </p>
        <button type="button" id="copy-api-key">
          Copy key
        </button>
      </section>
      <section aria-labelledby="create-heading">
        <h2 id="create-heading">Create a key</h2>
        <form id="create-key-form" method="post">
          <Field id="key-name" label="Name" />
          <fieldset>
            <legend>Scopes</legend>
            <Check id="scope-read" label="read" value="read" checked={true} />
            <Check id="scope-generate" label="generate" value="generate" />
            <Check id="scope-manage" label="manage" value="manage" />
          </fieldset>
          <button type="submit" id="create-key">
            Create key
          </button>
        </form>
      </section>
      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading">Your keys</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody id="api-keys" />
          </table>
        </div>
      </section>
    </Layout>
  );
}
