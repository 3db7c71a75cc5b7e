import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

export function TeamsPage(props: PageProps) {
  return (
    <Layout {...props} title="Your teams" page="teams" signedIn={true}>
      <section aria-labelledby="teams-heading">
        <h2 id="teams-heading">Teams you belong to</h2>
        <ul id="teams" />
      </section>
      <section aria-labelledby="create-team-heading">
        <h2 id="create-team-heading">Create a team</h2>
        <form id="create-team-form" method="post">
          <Field id="team-name" label="Team name" />
          <button type="submit" id="create-team">
            Create team
          </button>
        </form>
      </section>
    </Layout>
  );
}
