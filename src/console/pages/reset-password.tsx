import { Check, Field } from "../fields";
import { Layout, type PageProps } from "../layout";

/** The mailed reset link lands here with `?token=`; the token is read by the script, never rendered. */
export function ResetPasswordPage(props: PageProps) {
  return (
    <Layout {...props} title="Choose a new password" page="resetPassword" signedIn={false}>
      <section aria-label="New password">
        <form id="reset-password-form" method="post">
          <Field
            id="new-password"
            label="New password"
            type="password"
            autocomplete="new-password"
            hint="Every session ends; you sign in again with the new password."
          />
          <Check id="revoke-api-keys" label="Also revoke all my API keys" />
          <button type="submit" id="reset-password">
            Set new password
          </button>
        </form>
      </section>
      <p>
        <a href="/console/sign-in">Sign in</a>
      </p>
    </Layout>
  );
}
