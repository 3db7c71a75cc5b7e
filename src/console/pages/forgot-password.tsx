import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

export function ForgotPasswordPage(props: PageProps) {
  return (
    <Layout {...props} title="Forgot your password?" page="forgotPassword" signedIn={false}>
      <section aria-label="Reset link">
        <form id="forgot-password-form" method="post">
          <Field
            id="email"
            label="Email"
            type="email"
            autocomplete="email"
            hint="We mail a link to set a new password, valid for one hour."
          />
          <button type="submit" id="send-reset-link">
            Send reset link
          </button>
        </form>
      </section>
      <p>
        <a href="/console/sign-in">Back to sign in</a>
      </p>
    </Layout>
  );
}
