// The rules both backends apply to an organization's numbers, as the errors they answer: one main
// number while there are any, one direct number per user, and only users of the organization.
import { AppError } from '../errors.ts';

export const numberTaken = (number: string) => new AppError('CONFLICT', `The number ${number} already exists`, { field: 'number' });

export const unknownUser = (userId: string) =>
  new AppError('VALIDATION_FAILED', `userId: the organization has no user ${userId}`, { field: 'userId' });

export const userHasNumber = (userId: string, number: string) =>
  new AppError('CONFLICT', `userId: user ${userId} already has the direct number ${number}; unassign it first`, { field: 'userId' });

export const mainStays = (number: string) =>
  new AppError('CONFLICT', `main: ${number} is the main number; mark another number main before removing it`, { field: 'main' });
