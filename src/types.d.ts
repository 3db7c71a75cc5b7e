// The dictionary file of @zxcvbn-ts/language-common ships without its own declaration.
declare module "@zxcvbn-ts/language-common/dist/passwords.json.mjs" {
  const passwords: string[];
  export default passwords;
}
