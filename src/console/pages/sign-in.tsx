import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

/** Password first; then, with 2FA on, a code from the app or a backup code (the same page, step 2). */
export function SignInPage(props: PageProps) {
  return (
    <Layout {...props} title="Sign in" page="signIn" signedIn={false}>
      <section aria-labelledby="password-step-heading" id="password-step">
        <h2 id="password-step-heading">Email and password</h2>
        <form id="sign-in-form" method="post">
          <Field id="email" label="Email" type="email" autocomplete="username" />
          <Field id="password" label="Password" type="password" autocomplete="current-password" />
          <button type="submit" id="sign-in">
            Sign in
          </button>
        </form>
      </section>
      <section aria-labelledby="mfa-step-heading" id="mfa-step" hidden>
        <h2 id="mfa-step-heading">Second step</h2>
        <form id="mfa-code-form" method="post">
          <Field
            id="mfa-code"
            label="Code from your authenticator app"
            autocomplete="one-time-code"
            inputmode="numeric"
            maxlength={16}
          />
          <button type="submit" id="verify-code">
            Verify code
          </button>
        </form>
        <form id="backup-code-form" method="post">
          <Field id="backup-code" label="Backup code" hint="If you cannot use the app: one of your backup codes." />
          <button type="submit" id="use-backup-code" class="secondary">
            Use backup code
          </button>
        </form>
      </section>
      {/* The passkey button (passkeys.js) and one link per enabled sign-in provider (console.js). */}
      <section aria-labelledby="other-methods-heading" id="other-sign-in-methods" hidden>
        <h2 id="other-methods-heading">Other ways to sign in</h2>
        {/* Shown by /console/assets/passkeys.js when the browser supports passkeys. */}
        <button type="button" id="passkey-sign-in" hidden>
          Sign in with a passkey
        </button>
      </section>
      <p>
        <a href="/console/forgot-password">Forgot your password?</a> · <a href="/console/register">Create an account</a>
      </p>
    </Layout>
  );
}
