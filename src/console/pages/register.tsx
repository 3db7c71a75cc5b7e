import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

export function RegisterPage(props: PageProps) {
  return (
    <Layout {...props} title="Create an account" page="register" signedIn={false}>
      <section aria-label="Your details">
        <form id="register-form" method="post">
          <Field id="name" label="Name" autocomplete="name" required={false} />
          <Field id="email" label="Email" type="email" autocomplete="email" />
          <Field
            id="password"
            label="Password"
            type="password"
            autocomplete="new-password"
            hint="At least 8 characters, not a common password; a long passphrase is best."
          />
          <button type="submit" id="register">
            Create account
          </button>
        </form>
      </section>
      <p>
        Already registered? <a href="/console/sign-in">Sign in</a>
      </p>
    </Layout>
  );
}
