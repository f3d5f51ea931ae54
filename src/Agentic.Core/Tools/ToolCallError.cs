namespace Agentic.Core.Tools;

/// <summary>A tool call in model output that could not be read. Reported instead of thrown.</summary>
/// <param name="Kind">What is wrong.</param>
/// <param name="Message">A human-readable description, suitable for feeding back to the model.</param>
/// <param name="RawText">The offending text, tags included.</param>
public sealed record ToolCallError(ToolCallErrorKind Kind, string Message, string RawText);
