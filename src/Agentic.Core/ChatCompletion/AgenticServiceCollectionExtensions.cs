using Agentic.Core.Chat;
using Agentic.Core.Inference;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Agentic.Core.ChatCompletion;

/// <summary>Dependency-injection registration of the local policy as an <see cref="IChatClient"/>.</summary>
public static class AgenticServiceCollectionExtensions
{
    /// <summary>
    /// Registers an ONNX Runtime session over an exported Agentic policy (a singleton <see cref="OnnxPolicySession"/>)
    /// and an <see cref="IChatClient"/> over it, and returns the <see cref="ChatClientBuilder"/> so middleware
    /// (<c>UseFunctionInvocation()</c>, <see cref="AgenticChatClientBuilderExtensions.UseHeavyThinking"/>, logging) can
    /// be added.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the session: <see cref="OnnxPolicyOptions.ModelPath"/> at least.</param>
    /// <param name="configureClient">Optionally configures the chat client (model id, default sampling).</param>
    public static ChatClientBuilder AddAgenticChatClient(this IServiceCollection services, Action<OnnxPolicyOptions> configure,
        Action<LocalPolicyChatClientOptions>? configureClient = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        var sessionOptions = new OnnxPolicyOptions();
        configure(sessionOptions);
        sessionOptions.Validate();
        var clientOptions = new LocalPolicyChatClientOptions();
        configureClient?.Invoke(clientOptions);
        services.AddSingleton(_ => new OnnxPolicySession(sessionOptions));
        return services.AddChatClient(sp =>
        {
            var session = sp.GetRequiredService<OnnxPolicySession>();
            var tokenizer = session.Tokenizer ?? throw new InvalidOperationException(
                $"The model at '{session.ModelPath}' carries no tokenizer description; export it with OnnxExportOptions.Tokenizer set.");
            return new LocalPolicyChatClient(session, new ChatTemplate(tokenizer), tokenizer, clientOptions);
        });
    }
}
