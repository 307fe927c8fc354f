"""Use cases: one per module, a verb+noun class with `async def execute(command)`.

Use cases never import each other; shared steps live in private helpers: money moves in
`_settlement`, opening an account in `_accounts`, issuing tokens in `_credentials`, failing
stuck videos and expiring holds in `_recovery`.
"""

from afp_core.usecases.adjust_credits import (
    AdjustCredits,
    AdjustCreditsCommand,
    AdjustCreditsResult,
)
from afp_core.usecases.assess_content import (
    AssessContent,
    AssessContentCommand,
)
from afp_core.usecases.authenticate import (
    Authenticate,
    AuthenticateCommand,
    VerifiedTokens,
)
from afp_core.usecases.begin_social_connection import (
    BeginSocialConnection,
    BeginSocialConnectionCommand,
    BeginSocialConnectionResult,
)
from afp_core.usecases.cancel_batch import (
    CancelBatch,
    CancelBatchCommand,
    CancelBatchResult,
)
from afp_core.usecases.cancel_video import (
    CancelVideo,
    CancelVideoCommand,
    CancelVideoResult,
)
from afp_core.usecases.count_videos import CountVideosByStatus
from afp_core.usecases.create_checkout import (
    CreateCheckout,
    CreateCheckoutCommand,
    CreateCheckoutResult,
)
from afp_core.usecases.create_user import (
    CreateUser,
    CreateUserCommand,
    CreateUserResult,
)
from afp_core.usecases.disconnect_social_account import (
    DisconnectSocialAccount,
    DisconnectSocialAccountCommand,
    DisconnectSocialAccountResult,
)
from afp_core.usecases.expire_holds import (
    ExpireHolds,
    ExpireHoldsCommand,
    ExpireHoldsResult,
)
from afp_core.usecases.finish_social_connection import (
    FinishSocialConnection,
    FinishSocialConnectionCommand,
    FinishSocialConnectionResult,
)
from afp_core.usecases.get_account_summary import (
    AccountSummary,
    GetAccountSummary,
    GetAccountSummaryQuery,
)
from afp_core.usecases.get_admin_stats import (
    AdminStats,
    GetAdminStats,
    GetAdminStatsQuery,
)
from afp_core.usecases.get_batch_results import (
    BatchResultRow,
    GetBatchResults,
    GetBatchResultsQuery,
    GetBatchResultsResult,
)
from afp_core.usecases.get_batch_status import (
    GetBatchStatus,
    GetBatchStatusQuery,
    GetBatchStatusResult,
)
from afp_core.usecases.get_posts import (
    GetPost,
    GetPostQuery,
    ListPosts,
    ListPostsQuery,
)
from afp_core.usecases.get_videos import (
    GetVideo,
    GetVideoQuery,
    GetVideoStatus,
    ListVideos,
    ListVideosQuery,
    VideoPage,
)
from afp_core.usecases.handle_payment_notice import (
    HandlePaymentNotice,
    HandlePaymentNoticeCommand,
    HandlePaymentNoticeResult,
    NoticeOutcome,
)
from afp_core.usecases.handle_video_callback import (
    HandleVideoCallback,
    HandleVideoCallbackCommand,
    HandleVideoCallbackResult,
)
from afp_core.usecases.list_all_videos import (
    AllVideosPage,
    ListAllVideos,
    ListAllVideosQuery,
)
from afp_core.usecases.list_social_connections import (
    ListSocialConnections,
    ListSocialConnectionsQuery,
)
from afp_core.usecases.list_transactions import (
    ListTransactions,
    ListTransactionsQuery,
    TransactionPage,
)
from afp_core.usecases.list_users import (
    ListUsers,
    ListUsersQuery,
    UserAccount,
    UserPage,
)
from afp_core.usecases.log_in import (
    LogIn,
    LogInCommand,
    LogInResult,
)
from afp_core.usecases.log_out import (
    LogOut,
    LogOutCommand,
)
from afp_core.usecases.manage_api_keys import (
    ApiKeyInfo,
    CreateApiKey,
    CreateApiKeyCommand,
    CreateApiKeyResult,
    ListApiKeys,
    ListApiKeysCommand,
    RevokeApiKey,
    RevokeApiKeyCommand,
)
from afp_core.usecases.poll_video import (
    PollVideo,
    PollVideoCommand,
    PollVideoResult,
)
from afp_core.usecases.process_batch_item import (
    ProcessBatchItem,
    ProcessBatchItemCommand,
    ProcessBatchItemResult,
)
from afp_core.usecases.publish_video import (
    PublishVideo,
    PublishVideoCommand,
    PublishVideoResult,
)
from afp_core.usecases.quote_batch import (
    QuoteBatch,
    QuoteBatchQuery,
    QuoteBatchResult,
    QuotedRow,
)
from afp_core.usecases.reconcile_payments import (
    PurchaseDiscrepancy,
    ReconcilePayments,
    ReconcilePaymentsCommand,
    ReconcileReport,
)
from afp_core.usecases.refresh_connections import (
    RefreshConnections,
    RefreshConnectionsCommand,
    RefreshConnectionsResult,
)
from afp_core.usecases.refresh_post_status import (
    RefreshPostStatus,
    RefreshPostStatusCommand,
    RefreshPostStatusResult,
)
from afp_core.usecases.remember_responses import (
    RecallResponse,
    RecallResponseQuery,
    RememberResponse,
    RememberResponseCommand,
)
from afp_core.usecases.retry_batch_items import (
    RetryBatchItems,
    RetryBatchItemsCommand,
    RetryBatchItemsResult,
)
from afp_core.usecases.rotate_token_keys import (
    RotateTokenKeys,
    RotateTokenKeysCommand,
    RotateTokenKeysResult,
)
from afp_core.usecases.scrape_product import (
    ScrapeProduct,
    ScrapeProductCommand,
    ScrapeProductResult,
)
from afp_core.usecases.settle_video import (
    SettleVideo,
    SettleVideoCommand,
    SettleVideoResult,
)
from afp_core.usecases.sign_up import (
    SignUp,
    SignUpCommand,
    SignUpResult,
)
from afp_core.usecases.start_batch import (
    StartBatch,
    StartBatchCommand,
    StartBatchResult,
)
from afp_core.usecases.start_publishing import (
    StartPublishing,
    StartPublishingCommand,
    StartPublishingResult,
)
from afp_core.usecases.start_video import (
    StartVideo,
    StartVideoCommand,
    StartVideoResult,
)
from afp_core.usecases.submit_video import (
    SubmitVideo,
    SubmitVideoCommand,
    SubmitVideoResult,
)
from afp_core.usecases.sweep_stuck_work import (
    SweepStuckWork,
    SweepStuckWorkCommand,
    SweepStuckWorkResult,
)
from afp_core.usecases.write_script import (
    WriteScript,
    WriteScriptCommand,
    WriteScriptResult,
    WrittenScript,
)

__all__ = [
    "AccountSummary",
    "AdjustCredits",
    "AdjustCreditsCommand",
    "AdjustCreditsResult",
    "AdminStats",
    "AllVideosPage",
    "ApiKeyInfo",
    "AssessContent",
    "AssessContentCommand",
    "Authenticate",
    "AuthenticateCommand",
    "BatchResultRow",
    "BeginSocialConnection",
    "BeginSocialConnectionCommand",
    "BeginSocialConnectionResult",
    "CancelBatch",
    "CancelBatchCommand",
    "CancelBatchResult",
    "CancelVideo",
    "CancelVideoCommand",
    "CancelVideoResult",
    "CountVideosByStatus",
    "CreateApiKey",
    "CreateApiKeyCommand",
    "CreateApiKeyResult",
    "CreateCheckout",
    "CreateCheckoutCommand",
    "CreateCheckoutResult",
    "CreateUser",
    "CreateUserCommand",
    "CreateUserResult",
    "DisconnectSocialAccount",
    "DisconnectSocialAccountCommand",
    "DisconnectSocialAccountResult",
    "ExpireHolds",
    "ExpireHoldsCommand",
    "ExpireHoldsResult",
    "FinishSocialConnection",
    "FinishSocialConnectionCommand",
    "FinishSocialConnectionResult",
    "GetAccountSummary",
    "GetAccountSummaryQuery",
    "GetAdminStats",
    "GetAdminStatsQuery",
    "GetBatchResults",
    "GetBatchResultsQuery",
    "GetBatchResultsResult",
    "GetBatchStatus",
    "GetBatchStatusQuery",
    "GetBatchStatusResult",
    "GetPost",
    "GetPostQuery",
    "GetVideo",
    "GetVideoQuery",
    "GetVideoStatus",
    "HandlePaymentNotice",
    "HandlePaymentNoticeCommand",
    "HandlePaymentNoticeResult",
    "HandleVideoCallback",
    "HandleVideoCallbackCommand",
    "HandleVideoCallbackResult",
    "ListAllVideos",
    "ListAllVideosQuery",
    "ListApiKeys",
    "ListApiKeysCommand",
    "ListPosts",
    "ListPostsQuery",
    "ListSocialConnections",
    "ListSocialConnectionsQuery",
    "ListTransactions",
    "ListTransactionsQuery",
    "ListUsers",
    "ListUsersQuery",
    "ListVideos",
    "ListVideosQuery",
    "LogIn",
    "LogInCommand",
    "LogInResult",
    "LogOut",
    "LogOutCommand",
    "NoticeOutcome",
    "PollVideo",
    "PollVideoCommand",
    "PollVideoResult",
    "ProcessBatchItem",
    "ProcessBatchItemCommand",
    "ProcessBatchItemResult",
    "PublishVideo",
    "PublishVideoCommand",
    "PublishVideoResult",
    "PurchaseDiscrepancy",
    "QuoteBatch",
    "QuoteBatchQuery",
    "QuoteBatchResult",
    "QuotedRow",
    "RecallResponse",
    "RecallResponseQuery",
    "ReconcilePayments",
    "ReconcilePaymentsCommand",
    "ReconcileReport",
    "RefreshConnections",
    "RefreshConnectionsCommand",
    "RefreshConnectionsResult",
    "RefreshPostStatus",
    "RefreshPostStatusCommand",
    "RefreshPostStatusResult",
    "RememberResponse",
    "RememberResponseCommand",
    "RetryBatchItems",
    "RetryBatchItemsCommand",
    "RetryBatchItemsResult",
    "RevokeApiKey",
    "RevokeApiKeyCommand",
    "RotateTokenKeys",
    "RotateTokenKeysCommand",
    "RotateTokenKeysResult",
    "ScrapeProduct",
    "ScrapeProductCommand",
    "ScrapeProductResult",
    "SettleVideo",
    "SettleVideoCommand",
    "SettleVideoResult",
    "SignUp",
    "SignUpCommand",
    "SignUpResult",
    "StartBatch",
    "StartBatchCommand",
    "StartBatchResult",
    "StartPublishing",
    "StartPublishingCommand",
    "StartPublishingResult",
    "StartVideo",
    "StartVideoCommand",
    "StartVideoResult",
    "SubmitVideo",
    "SubmitVideoCommand",
    "SubmitVideoResult",
    "SweepStuckWork",
    "SweepStuckWorkCommand",
    "SweepStuckWorkResult",
    "TransactionPage",
    "UserAccount",
    "UserPage",
    "VerifiedTokens",
    "VideoPage",
    "WriteScript",
    "WriteScriptCommand",
    "WriteScriptResult",
    "WrittenScript",
]
