import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

/** The console's home: who you are, your name, your email address and its verification. */
export function AccountPage(props: PageProps) {
  return (
    <Layout {...props} title="Your account" page="account" signedIn={true}>
      <section aria-labelledby="email-heading">
        <h2 id="email-heading">Email address</h2>
        <p>
          <span id="account-email" /> (<span id="email-status" />)
        </p>
        <p id="pending-email-line" hidden>
          Waiting for confirmation: <span id="pending-email" /> (follow the link mailed to it)
        </p>
        <button type="button" id="resend-verification" class="secondary" hidden>
          Resend verification email
        </button>
      </section>
      <section aria-labelledby="name-heading">
        <h2 id="name-heading">Profile</h2>
        <p>
          Name: <span id="account-name" />
        </p>
        <form id="name-form" method="post">
          <Field id="name" label="Name" autocomplete="name" required={false} />
          <button type="submit" id="save-name">
            Save name
          </button>
        </form>
      </section>
      <section aria-labelledby="change-email-heading">
        <h2 id="change-email-heading">Change email address</h2>
        <form id="email-form" method="post">
          <Field
            id="new-email"
            label="New email address"
            type="email"
            autocomplete="email"
            hint="It changes once you follow the link we mail to the new address."
          />
          <Field id="email-current-password" label="Current password" type="password" autocomplete="current-password" />
          <Field
            id="email-code"
            label="Code from your authenticator app (only if two-factor is on)"
            autocomplete="one-time-code"
            inputmode="numeric"
            maxlength={16}
            required={false}
          />
          <button type="submit" id="change-email">
            Change email
          </button>
        </form>
      </section>
    </Layout>
  );
}
