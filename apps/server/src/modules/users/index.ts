// What other modules may use of users, memberships, groups and membership invitations.
export {
  listUsers, getUser, createUser, addUser, updateUser, unlockLogin, assertNotLastAdmin, listGroups, createGroup, tenantsOfUser,
  type Caller, type NewUser, type UserPatch,
} from './service.js';
export { changeOwnPassword, updateAccount, isOwner, accountByEmail, type AccountPatch } from './accounts.js';
export { inviteToDatabase, issueInvitationLink, previewInvitation, acceptInvitation, registerByInvitation, INVITATION_DAYS } from './invitations.js';
export { userRoutes } from './routes.js';
