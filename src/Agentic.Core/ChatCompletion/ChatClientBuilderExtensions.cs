using Microsoft.Extensions.AI;

namespace Agentic.Core.ChatCompletion;

/// <summary>Builder extensions for Agentic's chat-client middleware.</summary>
public static class AgenticChatClientBuilderExtensions
{
    /// <summary>Adds Heavy Thinking (parallel traces plus a summary pass or a vote) to the pipeline.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options.</param>
    public static ChatClientBuilder UseHeavyThinking(this ChatClientBuilder builder, Action<HeavyThinkingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new HeavyThinkingOptions();
        configure?.Invoke(options);
        return builder.Use(inner => new HeavyThinkingChatClient(inner, options));
    }
}
