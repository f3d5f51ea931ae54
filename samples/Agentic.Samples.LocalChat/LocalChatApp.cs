using Agentic.Core.ChatCompletion;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Agentic.Samples.LocalChat;

/// <summary>
/// The sample: a local Agentic policy composed through dependency injection like any other .NET chat model —
/// <c>services.AddAgenticChatClient(o =&gt; o.ModelPath = ...).UseFunctionInvocation()</c> — and asked a question with a
/// calculator tool. When the policy emits a <c>&lt;tool_call&gt;</c>, <c>FunctionInvokingChatClient</c> runs the tool and
/// sends the result back for the final answer.
/// </summary>
public static class LocalChatApp
{
    /// <summary>The question asked when none is given.</summary>
    public const string DefaultQuestion = "What is 123+456? Use the add tool.";

    /// <summary>Registers the local policy on ONNX Runtime with function invocation and the calculator.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="modelPath">An exported model (<c>model.onnx</c> or its folder).</param>
    /// <param name="maxOutputTokens">Token budget of a reply.</param>
    /// <returns>The builder, for more middleware.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="modelPath"/> is null or empty.</exception>
    public static ChatClientBuilder AddLocalChat(this IServiceCollection services, string modelPath, int maxOutputTokens = 64)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        services.AddSingleton<Calculator>();
        return services
            .AddAgenticChatClient(o => o.ModelPath = modelPath, c => { c.ModelId = "agentic-local-chat"; c.DefaultMaxOutputTokens = maxOutputTokens; })
            .UseFunctionInvocation();
    }

    /// <summary>Asks <paramref name="question"/> with the calculator's tools offered.</summary>
    /// <param name="client">The composed chat client.</param>
    /// <param name="calculator">The tool provider.</param>
    /// <param name="question">The user's question.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The final response (after any tool round trips).</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Task<ChatResponse> AskAsync(IChatClient client, Calculator calculator, string question, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(calculator);
        ArgumentNullException.ThrowIfNull(question);
        return client.GetResponseAsync([new ChatMessage(ChatRole.User, question)], new ChatOptions { Tools = calculator.AsTools(), Temperature = 0 }, cancellationToken);
    }

    /// <summary>
    /// Runs the sample: <c>args[0]</c> is an exported model folder (when absent or empty, an untrained tiny policy is
    /// exported to a temporary folder), <c>args[1]</c> an optional question.
    /// </summary>
    /// <param name="args">The command-line arguments.</param>
    /// <param name="output">Where the conversation is written.</param>
    /// <returns>The process exit code.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        string? temporary = null;
        var modelPath = args.Length > 0 && args[0].Length > 0 ? args[0] : null;
        if (modelPath is null)
        {
            temporary = Path.Combine(Path.GetTempPath(), "agentic-localchat-" + Guid.NewGuid().ToString("N"));
            modelPath = UntrainedPolicy.Export(temporary);
            await output.WriteLineAsync($"No model given: exported an UNTRAINED tiny policy to {modelPath} (its replies are noise).");
        }
        try
        {
            var services = new ServiceCollection();
            services.AddLocalChat(modelPath);
            await using var provider = services.BuildServiceProvider();
            var client = provider.GetRequiredService<IChatClient>();
            var calculator = provider.GetRequiredService<Calculator>();
            var question = args.Length > 1 ? args[1] : DefaultQuestion;
            await output.WriteLineAsync($"user: {question}");
            var response = await AskAsync(client, calculator, question);
            foreach (var message in response.Messages)
            {
                foreach (var content in message.Contents)
                {
                    var line = content switch
                    {
                        FunctionCallContent call => $"{message.Role}: [tool call] {call.Name}({string.Join(", ", call.Arguments?.Select(a => $"{a.Key}={a.Value}") ?? [])})",
                        FunctionResultContent result => $"{message.Role}: [tool result] {result.Result}",
                        TextContent text => $"{message.Role}: {text.Text}",
                        _ => null,
                    };
                    if (line is not null) await output.WriteLineAsync(line);
                }
            }
            await output.WriteLineAsync($"tool invocations: {calculator.Invocations}; tokens: {response.Usage?.TotalTokenCount ?? 0}");
            return 0;
        }
        finally
        {
            if (temporary is not null)
            {
                try { Directory.Delete(temporary, recursive: true); } catch (IOException) { }
            }
        }
    }
}
