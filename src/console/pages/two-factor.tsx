import { Check, Field } from "../fields";
import { Layout, type PageProps } from "../layout";

/**
 * TOTP enrolment in three steps on one page: the password; then the QR code (drawn by the API
 * as an SVG data URI) and the secret as text, and a code to confirm; then the backup codes, once.
 * The secret and the codes exist only in this page's memory: the server never renders them.
 */
export function TwoFactorPage(props: PageProps) {
  return (
    <Layout {...props} title="Two-factor authentication" page="twoFactor" signedIn={true}>
      <section aria-labelledby="enrol-heading" id="enrol-step">
        <h2 id="enrol-heading">Turn on two-factor authentication</h2>
        <form id="enrol-form" method="post">
          <Field id="enrol-password" label="Password" type="password" autocomplete="current-password" />
          <button type="submit" id="start-enrolment">
            Start set-up
          </button>
        </form>
      </section>
      <section aria-labelledby="confirm-heading" id="confirm-step" hidden>
        <h2 id="confirm-heading">Scan the code with your authenticator app</h2>
        <img id="totp-qr" class="qr" alt="QR code for your authenticator app" />
        <p>
          {/* Empty until the API has answered: the secret never comes from the server's HTML. */}
          Or enter this secret by hand: <code id="totp-secret" class="secret" />
        </p>
        <form id="confirm-form" method="post">
          <Field
            id="totp-code"
            label="Code from your authenticator app"
            autocomplete="one-time-code"
            inputmode="numeric"
            maxlength={16}
          />
          <Check id="end-other-sessions" label="Sign out my other sessions" checked={true} />
          <button type="submit" id="confirm-totp">
            Turn on two-factor authentication
          </button>
        </form>
      </section>
      <section aria-labelledby="backup-heading" id="backup-step" class="once" hidden>
        <h2 id="backup-heading">Your backup codes</h2>
        <p>
          Each code signs you in once if you lose your phone. Keep them somewhere safe now: they are shown only this
          once.
        </p>
        <ol id="backup-codes" class="secret" />
        <button type="button" id="copy-backup-codes">
          Copy backup codes
        </button>
      </section>
      <section aria-labelledby="disable-heading" id="disable-step">
        <h2 id="disable-heading">Turn off two-factor authentication</h2>
        <form id="disable-form" method="post">
          <Field id="disable-password" label="Password" type="password" autocomplete="current-password" />
          <Field
            id="disable-code"
            label="Code from your authenticator app"
            autocomplete="one-time-code"
            inputmode="numeric"
            maxlength={16}
          />
          <button type="submit" id="disable-two-factor" class="secondary">
            Turn off two-factor authentication
          </button>
        </form>
      </section>
    </Layout>
  );
}
