/**
 * User operations and authentication tokens, with HarperDB's request and response shapes.
 */
import { z } from 'zod';
import { badRequest, unauthorized } from '../../errors.ts';
import { describeRole, publicUser, ROLES } from '../../system/users.ts';
import { defineOperation } from '../registry.ts';
import type { OperationContext } from '../context.ts';

const username = z.string().min(1).max(128).refine((u) => !u.includes(':'), { message: 'must not contain ":"' });
const password = z.string().min(1).max(1024);
const role = z.enum(ROLES);

function actor(context: OperationContext): string | null {
  return context.user?.username ?? null;
}

export const userOperations = [
  defineOperation({
    name: 'add_user',
    permission: 'super_user',
    writes: true,
    schema: z.object({ username, password, role, active: z.boolean().default(true) }),
    handler: async (request, context) => {
      await context.node.users.add(request, actor(context));
      return { message: `${request.username} successfully added` };
    },
  }),
  defineOperation({
    name: 'alter_user',
    permission: 'super_user',
    writes: true,
    schema: z.object({ username, password: password.optional(), role: role.optional(), active: z.boolean().optional() }),
    handler: async (request, context) => {
      if (request.username === context.user?.username && (request.active === false || (request.role && request.role !== 'super_user'))) {
        throw badRequest('You cannot deactivate yourself or remove your own super_user role');
      }
      await context.node.users.alter(request, actor(context));
      return { message: `updated 1 of 1 records`, new_attributes: [], skipped_hashes: [], update_hashes: [request.username] };
    },
  }),
  defineOperation({
    name: 'drop_user',
    permission: 'super_user',
    writes: true,
    schema: z.object({ username }),
    handler: async (request, context) => {
      if (request.username === context.user?.username) throw badRequest('You cannot drop the user you are logged in as');
      await context.node.users.drop(request.username, actor(context));
      return { message: `${request.username} successfully deleted` };
    },
  }),
  defineOperation({
    name: 'list_users',
    permission: 'super_user',
    schema: z.object({}),
    handler: (_request, context) => context.node.users.records().map(publicUser),
  }),
  defineOperation({
    name: 'user_info',
    permission: 'any',
    schema: z.object({}),
    handler: (_request, context) => {
      const user = context.user!;
      return { username: user.username, active: user.active, role: describeRole(user.role) };
    },
  }),
  defineOperation({
    name: 'create_authentication_tokens',
    permission: 'public',
    schema: z.object({ username: username.optional(), password: password.optional() }),
    handler: async (request, context) => {
      let user = context.user;
      if (request.username !== undefined || request.password !== undefined) {
        if (request.username === undefined || request.password === undefined) {
          throw badRequest("'username' and 'password' must be given together");
        }
        user = await context.node.auth.login(request.username, request.password, context.clientAddress);
      }
      if (!user) throw unauthorized('Must login');
      return {
        operation_token: context.node.tokens.issue(user.username, 'operation'),
        refresh_token: context.node.tokens.issue(user.username, 'refresh'),
      };
    },
  }),
  defineOperation({
    name: 'refresh_operation_token',
    permission: 'public',
    schema: z.object({ refresh_token: z.string().min(1).max(4096) }),
    handler: (request, context) => {
      const name = context.node.tokens.verify(request.refresh_token, 'refresh');
      const user = name === undefined ? undefined : context.node.users.get(name);
      if (!user?.active) throw unauthorized('Invalid or expired refresh token');
      return { operation_token: context.node.tokens.issue(user.username, 'operation') };
    },
  }),
];
