// The seeded users of fixtures/crm (test-only credentials, see
// docs/simulated-dataverse.md), with both sign-in names: the Entra UPN for the
// password grant and the domain account for NTLM.
export const SEED_USERS = {
  petra: { id: '9d29a071-e32a-5a7c-a939-3b959719c23c', upn: 'petra.hoffmann@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\phoffmann', password: 'Test-only-phoffmann-1!', name: 'Petra Hoffmann' },
  jens: { id: '695e5427-3797-544a-a129-a55d693f7753', upn: 'jens.wagner@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\jwagner', password: 'Test-only-jwagner-1!', name: 'Jens Wagner' },
  anna: { id: 'f16c8d43-0882-59e2-a842-5fbc915a2aa0', upn: 'anna.schmidt@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\aschmidt', password: 'Test-only-aschmidt-1!', name: 'Anna Schmidt' },
  lukas: { id: '51c76b76-2067-5ac8-afe6-22cbb2e51ca3', upn: 'lukas.becker@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\lbecker', password: 'Test-only-lbecker-1!', name: 'Lukas Becker' },
  sophie: { id: '76a0081f-7a9d-57c4-a196-676c183abdbd', upn: 'sophie.mueller@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\smueller', password: 'Test-only-smueller-1!', name: 'Sophie Müller' },
  mehmet: { id: '14d2f669-4d96-5100-a813-ea1afaaca34f', upn: 'mehmet.yilmaz@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\myilmaz', password: 'Test-only-myilmaz-1!', name: 'Mehmet Yilmaz' },
  emily: { id: '88d46489-4802-518e-a6a0-6dd1115ade35', upn: 'emily.carter@contoso-sim.onmicrosoft.com', sam: 'CONTOSO\\ecarter', password: 'Test-only-ecarter-1!', name: 'Emily Carter' },
} as const;
export type SeedUserKey = keyof typeof SEED_USERS;
