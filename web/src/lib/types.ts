// The shapes the user API answers with, under the web app's short names. All of them are defined once,
// in contract/ at the repository root; nothing is declared here.
export type { AgentStatus, DeliveryStatus, MessageStatus, ReviewStatus, ReviewType, Theme } from "../../../contract/enums";
export type {
  AgentCommandDto as AgentCommand,
  AgentListItemDto as Agent,
  AgentStatsDto as AgentStats,
  ApiKeyDto as ApiKey,
  AttachmentDto as Attachment,
  IssuedApiKeyDto as IssuedApiKey,
  IterationChainDto as IterationChain,
  ListDto as List,
  MessageDto as Message,
  OwnerAgentDto as OwnerAgent,
  PageDto as Page,
  PreferencesDto as Preferences,
  ReviewDto as Review,
  StatusHistoryRowDto as StatusRow,
  UserDto as User,
} from "../../../contract/dto";
