import { login } from "./auth/login";
import { logout } from "./auth/logout";
import { logoutAll } from "./auth/logout-all";
import { refresh } from "./auth/refresh";
import { register } from "./auth/register";
import type { Endpoint } from "./endpoint";
import { health } from "./health";
import { getMe } from "./me/get-me";
import { patchMe } from "./me/patch-me";
import { deleteSession } from "./sessions/delete-session";
import { listSessions } from "./sessions/list-sessions";

/** Every endpoint of the service; `createApp` mounts exactly these. */
export const endpoints: Endpoint[] = [
  health,
  register,
  login,
  logout,
  logoutAll,
  refresh,
  getMe,
  patchMe,
  listSessions,
  deleteSession,
] as unknown as Endpoint[];
