import { login } from "./auth/login";
import { logout } from "./auth/logout";
import { logoutAll } from "./auth/logout-all";
import { passwordChange } from "./auth/password-change";
import { passwordForgot } from "./auth/password-forgot";
import { passwordReset } from "./auth/password-reset";
import { refresh } from "./auth/refresh";
import { register } from "./auth/register";
import { devOutbox } from "./dev/outbox";
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
  passwordForgot,
  passwordReset,
  passwordChange,
  getMe,
  patchMe,
  listSessions,
  deleteSession,
  devOutbox,
] as unknown as Endpoint[];
