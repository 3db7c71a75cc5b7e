import { Layout, type PageProps } from "../layout";

/** A team invitation's link, opened signed in: one button joins (a GET never changes anything). */
export function AcceptInvitationPage(props: PageProps) {
  return (
    <Layout {...props} title="Join a team" page="acceptInvitation" signedIn={true}>
      <section aria-label="Invitation">
        <p>You were invited to a team. Join it with this account?</p>
        <button type="button" id="accept-invitation">
          Join the team
        </button>
      </section>
    </Layout>
  );
}
