import { Layout, type PageProps } from "../layout";

/** The mailed link lands here; the script posts its `?token=` (a GET never changes anything). */
export function VerifyEmailPage(props: PageProps) {
  return (
    <Layout {...props} title="Verify your email" page="verifyEmail" signedIn={false}>
      <p id="verify-progress">Checking your link…</p>
      <p>
        <a href="/console">Go to your account</a> · <a href="/console/sign-in">Sign in</a>
      </p>
    </Layout>
  );
}
