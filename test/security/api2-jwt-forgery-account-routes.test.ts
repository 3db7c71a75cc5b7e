// OWASP API2:2023 broken authentication; ASVS 5.0 V9.1 (token integrity: alg, signature, kid), V9.2
// (exp, nbf, iss, aud), V7.4 (revoked sessions). The 23-credential forgery corpus of helpers/auth-matrix.ts
// against every credentialed account route: profile, 2FA, audit, export, erasure, licences, auth and
// sessions, and API-key management. (Two files, not six: each file costs the pool a Worker start.)
import { describeAuthMatrixOfArea } from "../helpers/auth-matrix";

describeAuthMatrixOfArea("profile");
describeAuthMatrixOfArea("session");
describeAuthMatrixOfArea("key");
