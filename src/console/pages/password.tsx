import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

export function PasswordPage(props: PageProps) {
  return (
    <Layout {...props} title="Change your password" page="password" signedIn={true}>
      <section aria-label="Password">
        <form id="password-form" method="post">
          <Field id="current-password" label="Current password" type="password" autocomplete="current-password" />
          <Field
            id="new-password"
            label="New password"
            type="password"
            autocomplete="new-password"
            hint="Your other sessions end; this one stays signed in."
          />
          <button type="submit" id="change-password">
            Change password
          </button>
        </form>
      </section>
    </Layout>
  );
}
