namespace Agentic.Rl.Rewards;

/// <summary>The trajectory event kinds the built-in shapers and expert recovery read (as written by <c>AgentLoop</c> and <c>NoisyEnvironment</c>).</summary>
internal static class RewardEventKinds
{
    public const string MalformedOutput = "malformed_output";
    public const string PolicyError = "policy_error";
    public const string UnknownTool = "unknown_tool";
    public const string ToolError = "tool_error";
    public const string ToolTimeout = "tool_timeout";
}
