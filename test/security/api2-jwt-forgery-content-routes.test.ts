// OWASP API2:2023 broken authentication; ASVS 5.0 V9.1 (token integrity: alg, signature, kid), V9.2
// (exp, nbf, iss, aud), V7.4 (revoked sessions). The 23-credential forgery corpus of helpers/auth-matrix.ts
// against every credentialed content route: images, collections, teams and invitations.
import { describeAuthMatrixOfArea } from "../helpers/auth-matrix";

describeAuthMatrixOfArea("image");
describeAuthMatrixOfArea("collection");
describeAuthMatrixOfArea("team");
