/** `GET /devices` and `POST /devices/{id}/forget`: gpodder devices and their last contact. */
import { Hono } from "hono";
import { devicesSeen, listDevices } from "../../src/gpodder/queries.ts";
import type { AppDeps } from "../../src/services.ts";
import type { AppEnv } from "../context.ts";
import { checkCsrf, currentUser, readForm, redirectToLogIn } from "./_web.ts";
import { Confirm, When } from "./components.tsx";
import { Layout, render } from "./layout.tsx";

/** The devices page of a logged-in user. */
export function devicesPageRoutes(deps: AppDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/devices", async (c) => {
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/devices");
    const devices = await listDevices(deps.kv, me.user.id);
    const seen = await devicesSeen(deps.kv, me.user.id);
    const csrf = me.session.csrf;
    return render(
      c,
      <Layout title="Devices" nav={{ username: me.user.username, csrf }}>
        <p>
          The devices your gpodder apps (AntennaPod, gPodder, Kasts…) registered. Subscriptions are
          shared by all of them. Forgetting a device removes it from this list; it comes back if the
          app syncs again — revoke its app password to stop it.
        </p>
        {devices.length === 0 ? <p>No device has synced yet.</p> : (
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">Type</th>
                <th scope="col">Last contact</th>
                <th scope="col">
                  <span class="sr-only">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {devices.map((d) => {
                const at = seen.get(d.id);
                const name = d.caption || d.id;
                return (
                  <tr>
                    <td>
                      <strong>{d.caption}</strong> <code>{d.id}</code>
                    </td>
                    <td data-label="Type">{d.type}</td>
                    <td data-label="Last contact">
                      <When iso={at ? new Date(at).toISOString() : null} />
                    </td>
                    <td>
                      <Confirm
                        action={`/devices/${encodeURIComponent(d.id)}/forget`}
                        csrf={csrf}
                        label="Forget"
                        accessibleLabel={`Forget ${name}`}
                        question={`Forget “${name}”? It comes back if its app syncs again.`}
                        confirm="Forget device"
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </Layout>,
    );
  });

  app.post("/devices/:id/forget", async (c) => {
    const form = await readForm(c);
    const me = await currentUser(c, deps);
    if (!me) return redirectToLogIn(c, "/devices");
    checkCsrf(me.session.csrf, form.csrf);
    const id = c.req.param("id");
    if (/^[\w.-]{1,64}$/.test(id)) {
      await deps.registry.execute(me.user.id, { type: "RemoveDevice", data: { id } });
    }
    return c.redirect("/devices", 303);
  });

  return app;
}
