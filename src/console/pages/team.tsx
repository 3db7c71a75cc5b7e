import { Field } from "../fields";
import { Layout, type PageProps } from "../layout";

const roles = ["viewer", "member", "admin", "owner"] as const;

/** One team (its id is in the URL; the script reads it): members and their roles, invitations. */
export function TeamPage(props: PageProps) {
  return (
    <Layout {...props} title="Team" page="team" signedIn={true}>
      <p class="hint">
        Your role: <span id="team-role" />
      </p>
      <section aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody id="members" />
          </table>
        </div>
      </section>
      <section aria-labelledby="invite-heading" id="invite-section">
        <h2 id="invite-heading">Invite someone</h2>
        <form id="invite-form" method="post">
          <Field id="invite-email" label="Email" type="email" autocomplete="off" />
          <label for="invite-role">Role</label>
          <select id="invite-role" name="invite-role">
            {roles.map((role) => (
              <option value={role} selected={role === "member"}>
                {role}
              </option>
            ))}
          </select>
          <button type="submit" id="send-invitation">
            Send invitation
          </button>
        </form>
        <h2 id="invitations-heading">Pending invitations</h2>
        <div class="table-wrap">
          <table aria-labelledby="invitations-heading">
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Expires</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody id="invitations" />
          </table>
        </div>
      </section>
      <p>
        <a href="/console/teams">All your teams</a>
      </p>
    </Layout>
  );
}
