namespace Agentic.Core.Chat;

/// <summary>Options for <see cref="ChatTemplate"/>.</summary>
public sealed class ChatTemplateOptions
{
    /// <summary>
    /// Whether tools passed to <see cref="ChatTemplate.Encode"/> are listed in the system message inside
    /// <c>&lt;tools&gt;</c> tags. When <see langword="false"/> the tools are not rendered at all. Default:
    /// <see langword="true"/>.
    /// </summary>
    public bool IncludeToolsInSystemPrompt { get; set; } = true;

    /// <summary>
    /// The system prompt used when a conversation does not start with a system message. Default:
    /// <see langword="null"/>, meaning no system message is added unless tools must be listed (then an empty one is).
    /// </summary>
    public string? DefaultSystemPrompt { get; set; }
}
